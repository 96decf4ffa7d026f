import { MessageScheduler, parsePage, SCHEDULE_ID, type PendingSchedule, type ScheduleListing } from '#jetstream';
import { Controller, Delete, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/require-scope.decorator.js';
import { problems } from '../problem/problem-details.js';

/** Schedule ids become a subject token: a dot or a wildcard would address other schedules. */
const idPipe = {
  transform(value: string): string {
    if (!SCHEDULE_ID.test(value)) throw problems.badRequest('a schedule id is 1-128 letters, digits, - and _ (the scheduleId a scheduled publish answered)');
    return value;
  },
};

/** Messages published with deliverAt or delayMs that are not delivered yet. */
@ApiTags('schedules')
@ApiBearerAuth()
@ApiSecurity('api-key')
@ApiNotFoundResponse({ description: 'No pending schedule with this id: never made, cancelled, or already delivered (problem+json)' })
@RequireScope('schedules:read')
@Controller('v1/schedules')
export class SchedulesController {
  constructor(private readonly scheduler: MessageScheduler) {}

  @Get()
  @ApiOperation({ summary: 'Pending schedules, oldest first; continue with ?after=<next>' })
  @ApiQuery({ name: 'limit', required: false, description: '1-500, default 50' })
  @ApiQuery({ name: 'after', required: false, description: 'SCHEDULES sequence to continue after' })
  list(@Query() query: Record<string, string>): Promise<ScheduleListing> {
    return this.scheduler.list(parsePage(query));
  }

  @Get(':id')
  @ApiOperation({ summary: 'One pending schedule: subject, delivery time, who scheduled it, payload' })
  get(@Param('id', idPipe) id: string): Promise<PendingSchedule> {
    return this.scheduler.get(id);
  }

  @Delete(':id')
  @RequireScope('schedules:cancel')
  @ApiOperation({ summary: 'Cancel a pending schedule: it will not be delivered. Answers the cancelled schedule; 404 if it was already delivered' })
  cancel(@Param('id', idPipe) id: string): Promise<PendingSchedule> {
    return this.scheduler.cancel(id);
  }
}
