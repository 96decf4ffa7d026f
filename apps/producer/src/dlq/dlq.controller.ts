import { ValidationFailedError } from '#contracts';
import {
  DEAD_LETTER_QUERY_LIMITS,
  DeadLetterService,
  MAX_PAGE_LIMIT,
  parseDeadLetterQuery,
  parsePage,
  type DeadLetter,
  type DeadLetterListing,
  type RejectedAdvisory,
  type ReplayResult,
} from '#jetstream';
import type { FastifyRequest } from 'fastify';
import { applyDecorators, Body, Controller, Delete, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiBody, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { Audited, field, param, withQuery } from '../audit/audited.decorator.js';
import { RequireScope } from '../auth/require-scope.decorator.js';
import { requireEmptyBody } from '../http/empty-body.js';
import { JsonContentTypeGuard } from '../http/media-type.guard.js';
import { BULK_PURGE_SCHEMA, BULK_REPLAY_SCHEMA, DEAD_LETTER_LISTING_SCHEMA, DEAD_LETTER_SCHEMA, REJECTED_LISTING_SCHEMA } from '../openapi.schemas.js';
import { ApiEmptyJsonBody, ApiProblems } from '../problem/api-problems.js';
import { problems } from '../problem/problem-details.js';

const FILTER_QUERIES = ['stream', 'consumer', 'subject', 'since', 'until', 'reason'];

/** DLQ record ids are stream sequences: 1 and up, exact integers (ParseIntPipe would let 0, -1 and 1e3 through to the broker). */
const idPipe = {
  transform(value: string): number {
    const id = /^[1-9][0-9]{0,15}$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(id)) throw problems.badRequest('the DLQ record id must be a positive integer');
    return id;
  },
};

const ApiRecordId = () =>
  applyDecorators(
    ApiParam({ name: 'id', description: 'DLQ record id (its DLQ stream sequence)', schema: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER }, example: 1 }),
    ApiProblems({ 400: 'The id is not a positive integer', 404: 'No dead letter with this id' }),
  );

const ApiPage = (after: string) =>
  applyDecorators(
    ApiQuery({ name: 'limit', required: false, description: `1-${MAX_PAGE_LIMIT}, default 50`, schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_LIMIT } }),
    ApiQuery({ name: 'after', required: false, description: `${after} sequence to continue after (the previous page's next)`, schema: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } }),
  );

const ApiFilter = () =>
  applyDecorators(
    ApiQuery({ name: 'stream', required: false, schema: { type: 'string', pattern: DEAD_LETTER_QUERY_LIMITS.token } }),
    ApiQuery({ name: 'consumer', required: false, schema: { type: 'string', pattern: DEAD_LETTER_QUERY_LIMITS.token } }),
    ApiQuery({ name: 'subject', required: false, description: 'Original subject, NATS wildcards allowed', schema: { type: 'string', pattern: DEAD_LETTER_QUERY_LIMITS.subject } }),
    ApiQuery({ name: 'since', required: false, description: 'RFC 3339; last failure at or after', schema: { type: 'string', format: 'date-time' } }),
    ApiQuery({ name: 'until', required: false, description: 'RFC 3339; last failure at or before (before since: matches nothing)', schema: { type: 'string', format: 'date-time' } }),
    ApiQuery({
      name: 'reason',
      required: false,
      description: 'Text the failure reason or error name contains (any case)',
      schema: { type: 'string', minLength: 1, maxLength: DEAD_LETTER_QUERY_LIMITS.reasonMaxLength },
    }),
  );

const flag = (name: string, description: string) => ApiQuery({ name, required: false, description, schema: { type: 'boolean', default: false } });

/** Bulk operations: a filter, or all=true (OpenAPI cannot state "one of these"; without either the answer is 400). */
const ApiBulk = () =>
  applyDecorators(
    ApiFilter(),
    flag('all', 'true: act on every record when no filter is given (without a filter and without all=true the request is refused, 400)'),
    flag('dryRun', 'true: only count what would be acted on'),
  );

/** Dead-letter administration, separate from the ingress routes so it can be guarded or switched off. */
@ApiTags('dead letters')
@ApiBearerAuth()
@ApiSecurity('api-key')
@ApiProblems({ 503: 'JetStream did not answer in time; honour Retry-After' })
@RequireScope('dlq:read')
@Controller('v1/dlq')
export class DlqController {
  constructor(private readonly dlq: DeadLetterService) {}

  @Get()
  @ApiOperation({ summary: 'List dead letters, oldest first, each with its latest replay; a page ends after `limit` matches or 5,000 records read; continue with ?after=<next>. `total`: records in the DLQ' })
  @ApiFilter()
  @ApiPage('DLQ')
  @ApiOkResponse({ description: 'A page of dead letters', schema: DEAD_LETTER_LISTING_SCHEMA })
  @ApiProblems({ 400: 'A parameter is malformed or unknown; `errors` lists each' })
  list(@Query() query: Record<string, string>): Promise<DeadLetterListing> {
    const { filter, page } = parseDeadLetterQuery(query);
    return this.dlq.list(filter, page);
  }

  @Get('rejected')
  @ApiOperation({ summary: 'Advisories the DLQ router refused (forged, malformed or not corroborated): raw advisory and reason, oldest first' })
  @ApiPage('DLQ_REJECTED')
  @ApiOkResponse({ description: 'A page of refused advisories', schema: REJECTED_LISTING_SCHEMA })
  @ApiProblems({ 400: 'A parameter is malformed or unknown; `errors` lists each' })
  listRejected(@Query() query: Record<string, string>): Promise<{ items: RejectedAdvisory[]; next: number | null }> {
    return this.dlq.listRejected(parsePage(query));
  }

  @Get(':id')
  @ApiOperation({ summary: 'One dead letter: payload, original headers, reason, where and when it failed' })
  @ApiRecordId()
  @ApiOkResponse({ description: 'The dead letter', schema: DEAD_LETTER_SCHEMA })
  get(@Param('id', idPipe) id: number): Promise<DeadLetter> {
    return this.dlq.get(id);
  }

  @Post('replay')
  @HttpCode(202)
  @RequireScope('dlq:replay')
  @UseGuards(JsonContentTypeGuard)
  @ApiOperation({ summary: 'Replay every dead letter matching the filter (query string); ?dryRun=true only counts; records replayed before are skipped unless ?force=true. Needs a filter or all=true.' })
  @Audited({ action: 'dlq.replay-bulk', target: (r) => withQuery('dlq', r), details: (_r, answer) => bulkCounts(answer) })
  @ApiBulk()
  @ApiAcceptedResponse({ description: 'Replayed (or, with dryRun, counted) what matched', schema: BULK_REPLAY_SCHEMA })
  @flag('force', 'true: replay records that were replayed before too')
  @ApiEmptyJsonBody()
  @ApiProblems({ 400: 'A parameter is malformed or unknown, or neither a filter nor all=true was given' })
  bulkReplay(@Query() query: Record<string, string>, @Body() body: unknown) {
    requireEmptyBody(body);
    const { flag: dryRun, rest } = takeFlag(query, 'dryRun');
    const { flag: force, rest: filters } = takeFlag(rest, 'force');
    return this.dlq.replayMatching(bulkFilter(filters, 'replay'), dryRun, { force });
  }

  @Post(':id/replay')
  @HttpCode(202)
  @RequireScope('dlq:replay')
  @UseGuards(JsonContentTypeGuard)
  @Audited({ action: 'dlq.replay', target: (r) => `dlq/${param(r, 'id')}`, details: replayDetails })
  @ApiOperation({ summary: 'Republish to the original topic subject with a new msgID; optional edited payload, validated like ingress. 409 if replayed before (?force=true to repeat) or not a topic subject; 422 if the edit routes past the failed consumer' })
  @ApiRecordId()
  @ApiAcceptedResponse({ description: 'Republished; the answer names the new message', schema: { type: 'object' } })
  @flag('force', 'true: replay a record that was replayed before')
  @ApiBody({
    required: true,
    description: '`{}` (or an empty body) replays the stored payload; `{"payload": {...}}` replays an edited one. Sent as application/json',
    schema: { type: 'object', properties: { payload: { type: 'object', description: "The record's topic's payload, in the version the original was published as (ce-type), validated like a publish: which topic and version is known from the record, not from this request, so a payload of another topic is a 400" } }, additionalProperties: false },
  })
  @ApiProblems({
    400: 'The id, a parameter or the body is malformed; an edited payload that fails validation',
    409: 'Replayed before (repeat with force=true), or the record is not from a topic subject',
    415: 'Content-Type is not application/json',
    422: 'The edited payload would route past the consumer that failed',
  })
  replay(@Param('id', idPipe) id: number, @Body() body: unknown, @Query() query: Record<string, string>) {
    const { flag: force, rest } = takeFlag(query, 'force');
    const unknown = Object.keys(rest);
    if (unknown.length > 0) throw new ValidationFailedError(unknown.map((k) => ({ field: k, messages: ['is not a parameter of replay'] })));
    if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) {
      throw problems.badRequest('the body must be empty or {"payload": {...}}');
    }
    const extra = Object.keys((body as object | null) ?? {}).filter((k) => k !== 'payload');
    if (extra.length > 0) throw problems.badRequest(`unknown field(s) ${extra.join(', ')}; only "payload" is allowed`);
    const payload = (body as { payload?: unknown } | null)?.payload;
    if (payload !== undefined && (typeof payload !== 'object' || payload === null || Array.isArray(payload))) {
      throw new ValidationFailedError([{ field: 'payload', messages: ['must be an object (the topic payload)'] }]);
    }
    return this.dlq.replay(id, (body as { payload?: unknown } | null)?.payload, { force });
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScope('dlq:purge')
  @UseGuards(JsonContentTypeGuard)
  @Audited({ action: 'dlq.purge', target: (r) => `dlq/${param(r, 'id')}` })
  @ApiOperation({ summary: 'Purge one dead letter' })
  @ApiRecordId()
  @ApiEmptyJsonBody()
  @ApiNoContentResponse({ description: 'Purged' })
  purge(@Param('id', idPipe) id: number, @Body() body: unknown): Promise<void> {
    requireEmptyBody(body);
    return this.dlq.purge(id);
  }

  @Delete()
  @RequireScope('dlq:purge')
  @UseGuards(JsonContentTypeGuard)
  @Audited({ action: 'dlq.purge-bulk', target: (r) => withQuery('dlq', r), details: (_r, answer) => bulkCounts(answer) })
  @ApiOperation({ summary: 'Purge every dead letter matching the filter; ?dryRun=true only counts. Needs at least one filter.' })
  @ApiBulk()
  @ApiOkResponse({ description: 'Purged (or, with dryRun, counted) what matched', schema: BULK_PURGE_SCHEMA })
  @ApiEmptyJsonBody()
  @ApiProblems({ 400: 'A parameter is malformed or unknown, or neither a filter nor all=true was given' })
  bulkPurge(@Query() query: Record<string, string>, @Body() body: unknown) {
    requireEmptyBody(body);
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
  if (all !== undefined && all !== 'true' && all !== 'false') throw new ValidationFailedError([{ field: 'all', messages: ['must be true or false'] }]);
  for (const k of Object.keys(rest)) {
    if (!FILTER_QUERIES.includes(k)) throw new ValidationFailedError([{ field: k, messages: ['is not a filter of bulk operations'] }]);
  }
  return rest;
}

/** What the audit trail keeps of a replay: whether it was edited (with the payload's digests before and after) and where it went. */
function replayDetails(request: FastifyRequest, answer?: unknown): Record<string, unknown> {
  const edited = field(request, 'payload') !== undefined;
  const result = answer as ReplayResult | undefined;
  return {
    edited,
    ...(result?.payloadDigests ? { payloadSha256: result.payloadDigests } : {}),
    ...(result ? { replayedTo: { stream: result.stream, seq: result.seq, subject: result.subject }, forced: result.forced } : {}),
  };
}

/** A bulk action's counts (the ids are in the DLQ, which outlives nothing the trail needs). */
function bulkCounts(answer?: unknown): Record<string, unknown> | undefined {
  if (answer === null || typeof answer !== 'object') return undefined;
  const { matched, purged, replayed, skipped, truncated } = answer as { matched?: number; purged?: number; replayed?: unknown[]; skipped?: unknown[]; truncated?: boolean };
  return { matched, purged, replayed: replayed?.length, skipped: skipped?.length, truncated };
}
