/**
 * Shapes of the API the console reads. The operations views are the
 * producer's own types (type-only imports, erased from the bundle), so the
 * console cannot drift from what the server sends; the rest are the JSON
 * forms of the admin API's answers.
 */
export type { ConsumerDetailView, ConsumerView, OperationsOverview, StreamView } from '../../../producer/src/operations/operations.view';
export type { SpanView, TraceView } from '../../../producer/src/operations/trace.view';

export interface PauseResult {
  paused: boolean;
  pauseUntil: string | null;
}

/**
 * The DLQ's answers as JSON. Their server types live beside the dead-letter
 * codec, whose imports reach the whole transport; these are the wire shapes.
 */
export interface ReplayMark {
  state: 'publishing' | 'done';
  startedAt: string;
  replayedAt?: string;
  subject: string;
  stream?: string;
  seq?: number;
  edited: boolean;
  forced: boolean;
}

export interface DeadLetter {
  id: number;
  kind: string;
  subject: string;
  stream: string;
  streamSequence: number;
  consumer: string;
  deliveryCount: number;
  reason: string;
  errorName: string;
  handler: string;
  firstFailureAt: string;
  lastFailureAt: string;
  routedAt: string;
  originalTime?: string;
  originalMsgId?: string;
  originalMissing: boolean;
  headers: Record<string, string[]>;
  payload: unknown;
  traceId?: string;
  replay?: ReplayMark | null;
}

export interface DeadLetterListing {
  items: DeadLetter[];
  next: number | null;
  total: number;
  scanned: number;
}

export interface ReplayResult {
  stream: string;
  seq: number;
  duplicate: boolean;
  replayOf: number;
  subject: string;
  forced: boolean;
}

export interface BulkReplayResult {
  matched: number;
  replayed: unknown[];
  skipped: unknown[];
  truncated: boolean;
}

export interface BulkPurgeResult {
  matched: number;
  purged: number;
  truncated: boolean;
}

export interface Topic {
  name: string;
  description?: string;
  subject?: string;
  payloadSchema?: string;
  stream?: { name: string };
}

export interface PublishResult {
  id: string;
  stream: string;
  seq: number;
  duplicate: boolean;
}

/** An admin action as GET /v1/audit answers it. */
export interface AuditRecord {
  seq: number;
  time: string;
  action: string;
  principal: string;
  target: string;
  requestId?: string;
  traceId?: string;
  host: string;
  result: { outcome: 'succeeded' | 'refused' | 'failed'; status: number; detail?: string };
  details?: Record<string, unknown>;
  prev: string;
  hash: string;
}

export interface AuditListing {
  items: AuditRecord[];
  next: number | null;
  total: number;
}

export interface AuditVerification {
  intact: boolean;
  checked: number;
  first: { seq: number; genesis: boolean } | null;
  last: { seq: number; hash: string } | null;
  problems: { seq: number; kind: string; detail: string }[];
  problemsOmitted: number;
}
