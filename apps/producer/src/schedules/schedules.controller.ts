import { MAX_PAGE_LIMIT, MessageScheduler, parseScheduleQuery, PRINCIPAL_ID, SCHEDULE_ID, type PendingSchedule, type ScheduleListing, type ScheduleOwner } from '#jetstream';
import { applyDecorators, Controller, Delete, Get, Param, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { PENDING_SCHEDULE_SCHEMA, SCHEDULE_LISTING_SCHEMA } from '../openapi.schemas.js';
import { Audited, param } from '../audit/audited.decorator.js';
import { RequireScope } from '../auth/require-scope.decorator.js';
import { grants } from '../auth/scope.js';
import { ApiProblems } from '../problem/api-problems.js';
import { problems } from '../problem/problem-details.js';

/** Schedule ids become a subject token: a dot or a wildcard would address other schedules. */
const idPipe = {
  transform(value: string): string {
    if (!SCHEDULE_ID.test(value)) throw problems.badRequest('a schedule id is 1-128 letters, digits, - and _ (the scheduleId a scheduled publish answered)');
    return value;
  },
};

const ApiScheduleId = () =>
  applyDecorators(
    ApiParam({ name: 'id', description: 'The scheduleId a scheduled publish answered', schema: { type: 'string', pattern: SCHEDULE_ID.source } }),
    ApiProblems({
      400: 'The id is not 1-128 letters, digits, - and _',
      404: "No pending schedule with this id that the caller may see: never made, cancelled, already delivered, or another caller's (without schedules:admin)",
    }),
  );

/**
 * Messages published with deliverAt or delayMs that are not delivered yet.
 * Each schedule belongs to the principal that made it (`scheduledBy`): a
 * caller sees and cancels only its own; `schedules:admin` widens read and
 * cancel to everyone's. Another caller's schedule is a 404, exactly like one
 * that does not exist, so ids cannot be probed.
 */
@ApiTags('schedules')
@ApiBearerAuth()
@ApiSecurity('api-key')
@ApiProblems({ 503: 'JetStream did not answer in time; honour Retry-After' })
@RequireScope('schedules:read')
@Controller('v1/schedules')
export class SchedulesController {
  constructor(private readonly scheduler: MessageScheduler) {}

  @Get()
  @ApiOperation({
    summary: "The caller's pending schedules (with schedules:admin: everyone's), oldest first; continue with ?after=<next>",
    description: 'A page ends after `limit` schedules or 5,000 read, whichever is first: a page with fewer items and a `next` is not the end.',
  })
  @ApiQuery({ name: 'limit', required: false, description: `1-${MAX_PAGE_LIMIT}, default 50`, schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_LIMIT } })
  @ApiQuery({ name: 'after', required: false, description: 'SCHEDULES sequence to continue after', schema: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } })
  @ApiQuery({
    name: 'scheduledBy',
    required: false,
    description: "Only this principal's schedules (`key:<id>`, `jwt:<iss>#<sub>`). Another principal than the caller needs schedules:admin (else 403)",
    schema: { type: 'string', pattern: PRINCIPAL_ID.source },
  })
  @ApiProblems({ 400: 'limit, after or scheduledBy is malformed, or an unknown parameter; `errors` lists each', 403: "scheduledBy names another principal and the caller lacks schedules:admin" })
  @ApiOkResponse({ description: 'A page of pending schedules', schema: SCHEDULE_LISTING_SCHEMA })
  list(@Query() query: Record<string, string>, @Req() request: FastifyRequest): Promise<ScheduleListing> {
    const { page, scheduledBy } = parseScheduleQuery(query);
    const own = ownerOf(request);
    // Asking for someone else's is asking for the admin's view: say which scope that takes.
    if (own.scheduledBy !== undefined && scheduledBy !== undefined && scheduledBy !== own.scheduledBy) throw problems.forbidden('schedules:admin');
    return this.scheduler.list(page, scheduledBy !== undefined ? { scheduledBy } : own);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One pending schedule of the caller (with schedules:admin: anyone\'s): subject, delivery time, who scheduled it, payload' })
  @ApiScheduleId()
  @ApiOkResponse({ description: 'The pending schedule', schema: PENDING_SCHEDULE_SCHEMA })
  get(@Param('id', idPipe) id: string, @Req() request: FastifyRequest): Promise<PendingSchedule> {
    return this.scheduler.get(id, ownerOf(request));
  }

  @Delete(':id')
  @RequireScope('schedules:cancel')
  @Audited({ action: 'schedule.cancel', target: (r) => `schedule/${param(r, 'id')}` })
  @ApiOperation({
    summary: "Cancel a pending schedule of the caller (with schedules:admin: anyone's): it will not be delivered. Answers the cancelled schedule; 404 if it was already delivered",
  })
  @ApiScheduleId()
  @ApiOkResponse({ description: 'The cancelled schedule', schema: PENDING_SCHEDULE_SCHEMA })
  cancel(@Param('id', idPipe) id: string, @Req() request: FastifyRequest): Promise<PendingSchedule> {
    return this.scheduler.cancel(id, ownerOf(request));
  }
}

/** Whose schedules the caller may see: all with schedules:admin, else its own. */
function ownerOf(request: FastifyRequest): ScheduleOwner {
  // The authentication hook has run: every request that reaches a handler has a principal.
  const { id, scopes } = request.principal!;
  return grants(scopes, 'schedules:admin') ? {} : { scheduledBy: id };
}
