import { AUDIT_ACTIONS, AuditTrail, MAX_PAGE_LIMIT, parseAuditQuery, type AuditListing, type AuditVerification } from '#jetstream';
import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/require-scope.decorator.js';
import { AUDIT_LISTING_SCHEMA, AUDIT_VERIFICATION_SCHEMA } from '../openapi.schemas.js';
import { ApiProblems } from '../problem/api-problems.js';
import { problems } from '../problem/problem-details.js';

/** The audit trail of admin actions: read and verified, never written or deleted through the API. */
@ApiTags('audit')
@ApiBearerAuth()
@ApiSecurity('api-key')
@ApiProblems({ 503: 'JetStream did not answer in time; honour Retry-After' })
@RequireScope('audit:read')
@Controller('v1/audit')
export class AuditController {
  constructor(private readonly trail: AuditTrail) {}

  @Get()
  @ApiOperation({ summary: 'Admin actions, oldest first: who did what to what, when, with which result; continue with ?after=<next>. A page ends after `limit` matches or 5,000 records read' })
  @ApiQuery({ name: 'action', required: false, schema: { type: 'string', enum: [...AUDIT_ACTIONS] } })
  @ApiQuery({ name: 'principal', required: false, description: 'Exactly, e.g. key:ops', schema: { type: 'string', pattern: '^[!-~]{1,256}$' } })
  @ApiQuery({ name: 'target', required: false, description: 'Target starts with this, e.g. dlq/ or consumer/ORDERS/', schema: { type: 'string', pattern: '^[!-~]{1,256}$' } })
  @ApiQuery({ name: 'outcome', required: false, schema: { type: 'string', enum: ['succeeded', 'refused', 'failed'] } })
  @ApiQuery({ name: 'since', required: false, description: 'RFC 3339; at or after', schema: { type: 'string', format: 'date-time' } })
  @ApiQuery({ name: 'until', required: false, description: 'RFC 3339; at or before', schema: { type: 'string', format: 'date-time' } })
  @ApiQuery({ name: 'limit', required: false, description: `1-${MAX_PAGE_LIMIT}, default 50`, schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_LIMIT } })
  @ApiQuery({ name: 'after', required: false, description: "AUDIT sequence to continue after (the previous page's next)", schema: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } })
  @ApiOkResponse({ description: 'A page of audit records', schema: AUDIT_LISTING_SCHEMA })
  @ApiProblems({ 400: 'A parameter is malformed or unknown; `errors` lists each' })
  list(@Query() query: Record<string, string>): Promise<AuditListing> {
    const { filter, page } = parseAuditQuery(query);
    return this.trail.list(filter, page);
  }

  @Get('verify')
  @ApiOperation({ summary: 'Check the hash chain of every retained record: intact, or which records were removed, altered, moved or inserted. Reads the whole trail' })
  @ApiOkResponse({ description: 'The verification (intact or not: the answer is 200 either way)', schema: AUDIT_VERIFICATION_SCHEMA })
  @ApiProblems({ 400: 'A parameter was given (verify takes none)' })
  verify(@Query() query: Record<string, string>): Promise<AuditVerification> {
    const unknown = Object.keys(query);
    if (unknown.length > 0) throw problems.badRequest(`verify takes no parameters (got ${unknown.join(', ').slice(0, 200)})`);
    return this.trail.verify();
  }
}
