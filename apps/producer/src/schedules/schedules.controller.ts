import { MAX_PAGE_LIMIT, MessageScheduler, parsePage, SCHEDULE_ID, type PendingSchedule, type ScheduleListing } from '#jetstream';
import { applyDecorators, Controller, Delete, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { PENDING_SCHEDULE_SCHEMA, SCHEDULE_LISTING_SCHEMA } from '../openapi.schemas.js';
import { Audited, param } from '../audit/audited.decorator.js';
import { RequireScope } from '../auth/require-scope.decorator.js';
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
      404: 'No pending schedule with this id: never made, cancelled, or already delivered',
    }),
  );

/** Messages published with deliverAt or delayMs that are not delivered yet. */
@ApiTags('schedules')
@ApiBearerAuth()
@ApiSecurity('api-key')
@ApiProblems({ 503: 'JetStream did not answer in time; honour Retry-After' })
@RequireScope('schedules:read')
@Controller('v1/schedules')
export class SchedulesController {
  constructor(private readonly scheduler: MessageScheduler) {}

  @Get()
  @ApiOperation({ summary: 'Pending schedules, oldest first; continue with ?after=<next>' })
  @ApiQuery({ name: 'limit', required: false, description: `1-${MAX_PAGE_LIMIT}, default 50`, schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_LIMIT } })
  @ApiQuery({ name: 'after', required: false, description: 'SCHEDULES sequence to continue after', schema: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } })
  @ApiProblems({ 400: 'limit or after is malformed, or an unknown parameter; `errors` lists each' })
  @ApiOkResponse({ description: 'A page of pending schedules', schema: SCHEDULE_LISTING_SCHEMA })
  list(@Query() query: Record<string, string>): Promise<ScheduleListing> {
    return this.scheduler.list(parsePage(query));
  }

  @Get(':id')
  @ApiOperation({ summary: 'One pending schedule: subject, delivery time, who scheduled it, payload' })
  @ApiScheduleId()
  @ApiOkResponse({ description: 'The pending schedule', schema: PENDING_SCHEDULE_SCHEMA })
  get(@Param('id', idPipe) id: string): Promise<PendingSchedule> {
    return this.scheduler.get(id);
  }

  @Delete(':id')
  @RequireScope('schedules:cancel')
  @Audited({ action: 'schedule.cancel', target: (r) => `schedule/${param(r, 'id')}` })
  @ApiOperation({ summary: 'Cancel a pending schedule: it will not be delivered. Answers the cancelled schedule; 404 if it was already delivered' })
  @ApiScheduleId()
  @ApiOkResponse({ description: 'The cancelled schedule', schema: PENDING_SCHEDULE_SCHEMA })
  cancel(@Param('id', idPipe) id: string): Promise<PendingSchedule> {
    return this.scheduler.cancel(id);
  }
}
