import type { OpenAPIObject } from '@nestjs/swagger';

/** Response bodies of the admin routes (DLQ, schedules) as JSON Schema for /docs/openapi.json; schemathesis checks answers against them. */

type Schema = NonNullable<NonNullable<OpenAPIObject['components']>['schemas']>[string];

const dateTime: Schema = { type: 'string', format: 'date-time' };
const seq: Schema = { type: 'integer', minimum: 1 };
const next: Schema = { type: 'integer', minimum: 1, nullable: true, description: 'Pass as ?after= for the next page; null: no more' };

/** A DLQ record as GET /v1/dlq and /v1/dlq/{id} answer it (DeadLetter in libs/jetstream). */
export const DEAD_LETTER_SCHEMA: Schema = {
  type: 'object',
  required: ['id', 'kind', 'subject', 'stream', 'streamSequence', 'consumer', 'deliveryCount', 'reason', 'errorName', 'handler', 'firstFailureAt', 'lastFailureAt', 'routedAt', 'originalMissing', 'headers', 'payload'],
  properties: {
    id: { ...seq, description: 'DLQ stream sequence' },
    kind: { type: 'string' },
    subject: { type: 'string', description: 'The original subject' },
    stream: { type: 'string' },
    streamSequence: { type: 'integer', minimum: 0 },
    consumer: { type: 'string' },
    deliveryCount: { type: 'integer', minimum: 0 },
    reason: { type: 'string' },
    errorName: { type: 'string' },
    handler: { type: 'string' },
    firstFailureAt: dateTime,
    lastFailureAt: dateTime,
    routedAt: dateTime,
    originalTime: dateTime,
    originalMsgId: { type: 'string' },
    originalMissing: { type: 'boolean' },
    headers: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
    payload: { nullable: true, description: 'Parsed JSON when it is JSON, else the raw text; null when the original was gone' },
    traceId: { type: 'string' },
    replay: { type: 'object', nullable: true, description: 'Its latest replay; null: never replayed' },
  },
};

export const DEAD_LETTER_LISTING_SCHEMA: Schema = {
  type: 'object',
  required: ['items', 'next', 'total', 'scanned'],
  properties: {
    items: { type: 'array', items: DEAD_LETTER_SCHEMA },
    next,
    total: { type: 'integer', minimum: 0, description: 'Records in the DLQ' },
    scanned: { type: 'integer', minimum: 0, description: 'Records this page read' },
  },
};

export const REJECTED_LISTING_SCHEMA: Schema = {
  type: 'object',
  required: ['items', 'next'],
  properties: { items: { type: 'array', items: { type: 'object' } }, next },
};

export const BULK_REPLAY_SCHEMA: Schema = {
  type: 'object',
  required: ['matched', 'replayed', 'skipped', 'truncated'],
  properties: {
    matched: { type: 'integer', minimum: 0 },
    replayed: { type: 'array', items: { type: 'object' } },
    skipped: { type: 'array', items: { type: 'object' } },
    truncated: { type: 'boolean', description: 'The scan limit was reached: run again for the rest' },
  },
};

export const BULK_PURGE_SCHEMA: Schema = {
  type: 'object',
  required: ['matched', 'purged', 'truncated'],
  properties: { matched: { type: 'integer', minimum: 0 }, purged: { type: 'integer', minimum: 0 }, truncated: { type: 'boolean' } },
};

/** A pending schedule (PendingSchedule in libs/jetstream). */
export const PENDING_SCHEDULE_SCHEMA: Schema = {
  type: 'object',
  required: ['id', 'subject', 'deliverAt', 'scheduledAt', 'seq', 'payload'],
  properties: {
    id: { type: 'string' },
    subject: { type: 'string' },
    deliverAt: dateTime,
    scheduledAt: dateTime,
    scheduledBy: { type: 'string' },
    seq,
    payload: { nullable: true },
  },
};

export const SCHEDULE_LISTING_SCHEMA: Schema = {
  type: 'object',
  required: ['items', 'next'],
  properties: { items: { type: 'array', items: PENDING_SCHEDULE_SCHEMA }, next },
};

const hash: Schema = { type: 'string', pattern: '^[0-9a-f]{64}$' };

/** One audit record as GET /v1/audit answers it (AuditRecord in libs/jetstream). */
export const AUDIT_RECORD_SCHEMA: Schema = {
  type: 'object',
  required: ['v', 'seq', 'time', 'action', 'principal', 'target', 'host', 'result', 'prev', 'hash'],
  properties: {
    v: { type: 'integer', enum: [1] },
    seq: { ...seq, description: 'Its AUDIT stream sequence' },
    time: dateTime,
    action: { type: 'string', example: 'dlq.purge' },
    principal: { type: 'string', description: '`key:<id>`, `jwt:<iss>#<sub>`, or `system:<what>`', example: 'key:ops' },
    target: { type: 'string', example: 'dlq/42' },
    requestId: { type: 'string', description: "The request's id on `host`" },
    traceId: { type: 'string', pattern: '^[0-9a-f]{32}$' },
    host: { type: 'string', description: 'The producer pod that served it' },
    result: {
      type: 'object',
      required: ['outcome', 'status'],
      properties: { outcome: { type: 'string', enum: ['succeeded', 'refused', 'failed'] }, status: { type: 'integer' }, detail: { type: 'string' } },
    },
    details: { type: 'object', description: "The action's specifics: an edited replay's payload digests (sha256 before/after), a reset's sequence, bulk counts" },
    prev: { ...hash, description: 'Hash of the record before it (64 zeros for the first record of the trail)' },
    hash: { ...hash, description: 'SHA-256 of this record without `hash`, as canonical JSON (keys sorted, no spaces)' },
  },
};

export const AUDIT_LISTING_SCHEMA: Schema = {
  type: 'object',
  required: ['items', 'next', 'total'],
  properties: { items: { type: 'array', items: AUDIT_RECORD_SCHEMA }, next, total: { type: 'integer', minimum: 0, description: 'Records in the trail' } },
};

export const AUDIT_VERIFICATION_SCHEMA: Schema = {
  type: 'object',
  required: ['intact', 'checked', 'first', 'last', 'problems', 'problemsOmitted', 'stream'],
  properties: {
    intact: { type: 'boolean' },
    checked: { type: 'integer', minimum: 0 },
    first: {
      type: 'object',
      nullable: true,
      description: 'Where the verifiable chain starts: genesis false when older records aged out (its prev cannot be checked)',
      properties: { seq, genesis: { type: 'boolean' } },
    },
    last: { type: 'object', nullable: true, properties: { seq, hash } },
    problems: {
      type: 'array',
      items: {
        type: 'object',
        required: ['seq', 'kind', 'detail'],
        properties: { seq, kind: { type: 'string', enum: ['malformed', 'altered', 'misplaced', 'missing', 'unlinked'] }, detail: { type: 'string' } },
      },
    },
    problemsOmitted: { type: 'integer', minimum: 0 },
    stream: {
      type: 'object',
      properties: { firstSeq: { type: 'integer', minimum: 0 }, lastSeq: { type: 'integer', minimum: 0 }, messages: { type: 'integer', minimum: 0 } },
    },
  },
};
