import { ValidationFailedError } from '#contracts';
import { DeadLetterService, parseDeadLetterQuery, parsePage, type DeadLetter, type DeadLetterListing, type RejectedAdvisory } from '#jetstream';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/require-scope.decorator.js';
import { JsonContentTypeGuard } from '../http/json-content-type.guard.js';
import { problems } from '../problem/problem-details.js';

const FILTER_QUERIES = ['stream', 'consumer', 'subject', 'since', 'until', 'reason'];

/** DLQ record ids are stream sequences: 1 and up (ParseIntPipe would let 0 and -1 through to the broker). */
const idPipe = {
  transform(value: string): number {
    if (!/^[1-9][0-9]{0,15}$/.test(value)) throw problems.badRequest('the DLQ record id must be a positive integer');
    return Number(value);
  },
};

/** Dead-letter administration, separate from the ingress routes so it can be guarded or switched off. */
@ApiTags('dead letters')
@ApiBearerAuth()
@ApiSecurity('api-key')
@RequireScope('dlq:read')
@Controller('v1/dlq')
export class DlqController {
  constructor(private readonly dlq: DeadLetterService) {}

  @Get()
  @ApiOperation({ summary: 'List dead letters, oldest first, each with its latest replay; a page ends after `limit` matches or 5,000 records read; continue with ?after=<next>. `total`: records in the DLQ' })
  @ApiQuery({ name: 'stream', required: false })
  @ApiQuery({ name: 'consumer', required: false })
  @ApiQuery({ name: 'subject', required: false, description: 'Original subject, NATS wildcards allowed' })
  @ApiQuery({ name: 'since', required: false, description: 'ISO 8601; last failure at or after' })
  @ApiQuery({ name: 'until', required: false, description: 'ISO 8601; last failure at or before' })
  @ApiQuery({ name: 'reason', required: false, description: 'Text the failure reason or error name contains (any case)' })
  @ApiQuery({ name: 'limit', required: false, description: '1-500, default 50' })
  @ApiQuery({ name: 'after', required: false, description: 'DLQ sequence to continue after' })
  list(@Query() query: Record<string, string>): Promise<DeadLetterListing> {
    const { filter, page } = parseDeadLetterQuery(query);
    return this.dlq.list(filter, page);
  }

  @Get('rejected')
  @ApiOperation({ summary: 'Advisories the DLQ router refused (forged, malformed or not corroborated): raw advisory and reason, oldest first' })
  @ApiQuery({ name: 'limit', required: false, description: '1-500, default 50' })
  @ApiQuery({ name: 'after', required: false, description: 'DLQ_REJECTED sequence to continue after' })
  listRejected(@Query() query: Record<string, string>): Promise<{ items: RejectedAdvisory[]; next: number | null }> {
    return this.dlq.listRejected(parsePage(query));
  }

  @Get(':id')
  @ApiOperation({ summary: 'One dead letter: payload, original headers, reason, where and when it failed' })
  get(@Param('id', idPipe) id: number): Promise<DeadLetter> {
    return this.dlq.get(id);
  }

  @Post('replay')
  @HttpCode(202)
  @RequireScope('dlq:replay')
  @UseGuards(JsonContentTypeGuard)
  @ApiOperation({ summary: 'Replay every dead letter matching the filter (query string); ?dryRun=true only counts; records replayed before are skipped unless ?force=true. Needs a filter or all=true.' })
  bulkReplay(@Query() query: Record<string, string>) {
    const { flag: dryRun, rest } = takeFlag(query, 'dryRun');
    const { flag: force, rest: filters } = takeFlag(rest, 'force');
    return this.dlq.replayMatching(bulkFilter(filters, 'replay'), dryRun, { force });
  }

  @Post(':id/replay')
  @HttpCode(202)
  @RequireScope('dlq:replay')
  @UseGuards(JsonContentTypeGuard)
  @ApiOperation({ summary: 'Republish to the original topic subject with a new msgID; optional edited payload, validated like ingress. 409 if replayed before (?force=true to repeat) or not a topic subject; 422 if the edit routes past the failed consumer' })
  @ApiQuery({ name: 'force', required: false, description: 'true: replay a record that was replayed before' })
  @ApiBody({ required: false, schema: { type: 'object', properties: { payload: { type: 'object' } } } })
  replay(@Param('id', idPipe) id: number, @Body() body: unknown, @Query() query: Record<string, string>) {
    const { flag: force, rest } = takeFlag(query, 'force');
    const unknown = Object.keys(rest);
    if (unknown.length > 0) throw new ValidationFailedError(unknown.map((k) => ({ field: k, messages: ['is not a parameter of replay'] })));
    if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body))) {
      throw problems.badRequest('the body must be empty or {"payload": {...}}');
    }
    const extra = Object.keys((body as object | null) ?? {}).filter((k) => k !== 'payload');
    if (extra.length > 0) throw problems.badRequest(`unknown field(s) ${extra.join(', ')}; only "payload" is allowed`);
    return this.dlq.replay(id, (body as { payload?: unknown } | null)?.payload, { force });
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScope('dlq:purge')
  @UseGuards(JsonContentTypeGuard)
  @ApiOperation({ summary: 'Purge one dead letter' })
  purge(@Param('id', idPipe) id: number): Promise<void> {
    return this.dlq.purge(id);
  }

  @Delete()
  @RequireScope('dlq:purge')
  @UseGuards(JsonContentTypeGuard)
  @ApiOperation({ summary: 'Purge every dead letter matching the filter; ?dryRun=true only counts. Needs at least one filter.' })
  bulkPurge(@Query() query: Record<string, string>) {
    const { flag: dryRun, rest } = takeFlag(query, 'dryRun');
    return this.dlq.purgeMatching(bulkFilter(rest, 'purge'), dryRun);
  }
}

function takeFlag(query: Record<string, string>, name: string): { flag: boolean; rest: Record<string, string> } {
  const { [name]: value, ...rest } = query;
  if (value !== undefined && value !== 'true' && value !== 'false') {
    throw new ValidationFailedError([{ field: name, messages: ['must be true or false'] }]);
  }
  return { flag: value === 'true', rest };
}

/** Bulk operations act on a filter; acting on every record needs ?all=true, so an empty query string cannot do it by accident. */
function bulkFilter(query: Record<string, string>, verb: string) {
  const { filter } = parseDeadLetterQuery(pickFilter(query));
  if (Object.keys(filter).length === 0 && query.all !== 'true') {
    throw problems.badRequest(`refusing to ${verb} everything without a filter; add ?all=true to mean it`);
  }
  return filter;
}

function pickFilter(query: Record<string, string>): Record<string, string> {
  const { all, ...rest } = query;
  if (all !== undefined && all !== 'true') throw new ValidationFailedError([{ field: 'all', messages: ['must be true'] }]);
  for (const k of Object.keys(rest)) {
    if (!FILTER_QUERIES.includes(k)) throw new ValidationFailedError([{ field: k, messages: ['is not a filter of bulk operations'] }]);
  }
  return rest;
}
