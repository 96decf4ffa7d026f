import type { AdvisoryRejectionCheck } from '#telemetry';
import { MAX_REASON_LENGTH, reasonValue } from '../headers/message-headers.js';
import type { AdvisorySources } from './dead-letter.topology.js';

/** The two advisories the router handles, reduced to what it needs. */
export interface DeadLetterAdvisory {
  kind: 'max_deliveries' | 'terminated';
  stream: string;
  consumer: string;
  streamSequence: number;
  deliveryCount: number;
  /** `term(reason)`, terminated advisories only (server ≥ 2.11); control characters replaced, at most 1024 characters. */
  reason?: string;
  timestamp: string;
}

export type AdvisoryVerdict =
  | {
      ok: true;
      advisory: DeadLetterAdvisory;
      /** A declared consumer, served by nestjet's transport (which records every failed attempt); false for DLQ_EXTRA_STREAMS. */
      declared: boolean;
    }
  | { ok: false; check: AdvisoryRejectionCheck; reason: string };

/** What nats-server sends is a few hundred bytes; anything far larger is not an advisory. */
export const MAX_ADVISORY_BYTES = 16 * 1024;

const KINDS: Record<string, { kind: DeadLetterAdvisory['kind']; token: string }> = {
  'io.nats.jetstream.advisory.v1.max_deliver': { kind: 'max_deliveries', token: 'MAX_DELIVERIES' },
  'io.nats.jetstream.advisory.v1.terminated': { kind: 'terminated', token: 'MSG_TERMINATED' },
};
const SUBJECT_PREFIX = ['$JS', 'EVENT', 'ADVISORY', 'CONSUMER'];

/** nats-server's id is a NUID (22 characters). */
const ID = /^[A-Za-z0-9]{1,64}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
/** Printable ASCII, no whitespace; with the separators and wildcards below excluded, a NATS stream or consumer name. */
const PRINTABLE = /^[\x21-\x7e]{1,255}$/;
const NOT_IN_NAMES = /[.*>/\\]/;

/** JetStream's rule for stream and consumer names (ASCII only here): they become subject tokens and KV keys downstream. */
export function isNatsName(v: unknown): v is string {
  return typeof v === 'string' && PRINTABLE.test(v) && !NOT_IN_NAMES.test(v);
}

const isPositiveInteger = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

/** A value quoted for a reason: short, on one line. */
function shown(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/**
 * Decides whether a message of the advisory stream is a well-formed
 * max-deliveries or terminated advisory whose NATS subject agrees with its
 * body and which names a declared consumer (or a stream of DLQ_EXTRA_STREAMS).
 * Checks only the message itself; what the server knows about the consumer
 * is the corroboration's job.
 */
export function checkAdvisory(subject: string, data: Uint8Array, sources: AdvisorySources): AdvisoryVerdict {
  const malformed = (reason: string): AdvisoryVerdict => ({ ok: false, check: 'malformed', reason });
  if (data.byteLength > MAX_ADVISORY_BYTES) return malformed(`${data.byteLength} bytes, more than the ${MAX_ADVISORY_BYTES} an advisory may have`);
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data));
  } catch {
    return malformed('not UTF-8 JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return malformed('not a JSON object');
  const a = body as Record<string, unknown>;
  const type = typeof a.type === 'string' ? KINDS[a.type] : undefined;
  if (!type) return malformed(`type ${shown(a.type)} is neither a max_deliver nor a terminated advisory`);

  const problems: string[] = [];
  if (typeof a.id !== 'string' || !ID.test(a.id)) problems.push(`id ${shown(a.id)} is not a NUID`);
  if (typeof a.timestamp !== 'string' || !TIMESTAMP.test(a.timestamp) || Number.isNaN(Date.parse(a.timestamp))) {
    problems.push(`timestamp ${shown(a.timestamp)} is not an RFC 3339 time`);
  }
  for (const field of ['stream', 'consumer'] as const) {
    if (!isNatsName(a[field])) problems.push(`${field} ${shown(a[field])} is not a NATS name (1-255 printable ASCII characters without whitespace, . * > / \\)`);
  }
  for (const field of ['stream_seq', 'deliveries'] as const) {
    if (!isPositiveInteger(a[field])) problems.push(`${field} ${shown(a[field])} is not a positive integer`);
  }
  if (type.kind === 'terminated' || a.consumer_seq !== undefined) {
    if (!isPositiveInteger(a.consumer_seq)) problems.push(`consumer_seq ${shown(a.consumer_seq)} is not a positive integer`);
  }
  if (a.reason !== undefined && (typeof a.reason !== 'string' || a.reason.length > 4 * MAX_REASON_LENGTH)) {
    problems.push(`reason must be a string of at most ${4 * MAX_REASON_LENGTH} characters`);
  }
  if (a.domain !== undefined && a.domain !== '' && !isNatsName(a.domain)) problems.push(`domain ${shown(a.domain)} is not a NATS name`);
  if (problems.length > 0) return malformed(problems.join('; '));

  const advisory: DeadLetterAdvisory = {
    kind: type.kind,
    stream: a.stream as string,
    consumer: a.consumer as string,
    streamSequence: a.stream_seq as number,
    deliveryCount: a.deliveries as number,
    // A term() reason is free text from a handler and may span lines; it is shown, never used as a name.
    reason: typeof a.reason === 'string' && a.reason.trim() !== '' ? reasonValue(a.reason) : undefined,
    timestamp: a.timestamp as string,
  };

  const expected = [...SUBJECT_PREFIX, type.token, advisory.stream, advisory.consumer].join('.');
  if (subject !== expected) {
    return { ok: false, check: 'subject_mismatch', reason: `subject ${shown(subject)} does not agree with the body, which makes it ${shown(expected)}` };
  }

  if (sources.declared.has(`${advisory.stream}/${advisory.consumer}`)) return { ok: true, advisory, declared: true };
  if (sources.extraStreams.has(advisory.stream)) return { ok: true, advisory, declared: false };
  const streamDeclared = [...sources.declared].some((d) => d.startsWith(`${advisory.stream}/`));
  return {
    ok: false,
    check: 'undeclared',
    reason: streamDeclared
      ? `consumer ${advisory.consumer} is not declared on stream ${advisory.stream}`
      : `stream ${advisory.stream} is neither declared nor listed in DLQ_EXTRA_STREAMS`,
  };
}
