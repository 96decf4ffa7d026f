import { createHash } from 'node:crypto';

/** The `prev` of the very first record of a trail. */
export const GENESIS_HASH = '0'.repeat(64);

/** How an attempted admin action ended: done, refused (4xx: the caller's request or rights) or failed (5xx). */
export interface AuditResult {
  outcome: 'succeeded' | 'refused' | 'failed';
  /** The HTTP status answered (the action's own status on success). */
  status: number;
  /** Why it was refused or failed (the problem's detail). */
  detail?: string;
}

/** One admin action as the producer saw it. */
export interface AuditEntry {
  /** ISO time the action ended. */
  time: string;
  action: string;
  /** `key:<id>`, `jwt:<iss>#<sub>`, or `system:<what>` for actions nobody requested (a keys-file reload). */
  principal: string;
  /** What was acted on: `dlq/<id>`, `dlq?<filter>`, `consumer/<stream>/<durable>`, `schedule/<id>`, … */
  target: string;
  /** Fastify's request id on `host` (unique per process), and the W3C trace id when tracing is on. */
  requestId?: string;
  traceId?: string;
  /** The pod (host name) that served it. */
  host: string;
  result: AuditResult;
  /** What else identifies the action: the edited payload's digests, a reset's sequence, bulk counts. */
  details?: Record<string, unknown>;
}

/** An entry as stored: its stream sequence, the hash of the record before it and its own hash over everything else. */
export interface AuditRecord extends AuditEntry {
  v: 1;
  seq: number;
  prev: string;
  hash: string;
}

/**
 * JSON with object keys sorted at every level and no white space (as RFC 8785
 * does for the values audit records hold: strings, integers, booleans, null),
 * so the same record always hashes the same, whatever order it was built in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error('canonical JSON has no NaN or Infinity');
    return JSON.stringify(value);
  }
  // As JSON.stringify writes them (the stored form): undefined in an array is null, an undefined member is left out.
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** SHA-256 (hex) of the record's canonical JSON without its `hash`. */
export function recordHash(record: Omit<AuditRecord, 'hash'> | AuditRecord): string {
  const { hash: _hash, ...hashed } = record as AuditRecord;
  return createHash('sha256').update(canonicalJson(hashed), 'utf8').digest('hex');
}

/** The record that follows `prev` (the previous record's hash) at stream sequence `seq`. */
export function chainRecord(entry: AuditEntry, seq: number, prev: string): AuditRecord {
  const unhashed = { ...entry, v: 1 as const, seq, prev };
  return { ...unhashed, hash: recordHash(unhashed) };
}

export type ChainProblemKind = 'malformed' | 'altered' | 'misplaced' | 'missing' | 'unlinked';

export interface ChainProblem {
  /** The stream sequence where it shows. */
  seq: number;
  kind: ChainProblemKind;
  detail: string;
}

export interface ChainVerification {
  /** No problem found in what was checked. */
  intact: boolean;
  checked: number;
  /**
   * Where the verifiable chain starts: at sequence 1 its `prev` must be the
   * genesis hash; later (records before it aged out of the stream) its `prev`
   * cannot be checked, and `genesis` is false.
   */
  first: { seq: number; genesis: boolean } | null;
  last: { seq: number; hash: string } | null;
  problems: ChainProblem[];
  /** Problems beyond MAX_PROBLEMS, only counted. */
  problemsOmitted: number;
}

const MAX_PROBLEMS = 100;
const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Checks a trail record by record, in stream order, without holding it:
 * each record must parse, hash to its `hash`, carry the stream sequence it
 * is stored at, follow the previous one without a gap and name its hash as
 * `prev`. A removed record shows as `missing` (a gap) or `unlinked`, an
 * altered one as `altered`, a moved one as `misplaced` and `unlinked`, an
 * inserted one as `unlinked` (its successor's `prev` is not its hash).
 * After a problem the check goes on from the record it found there.
 */
export class ChainVerifier {
  private checked = 0;
  private first: ChainVerification['first'] = null;
  private last: { seq: number; hash: string } | null = null;
  private readonly problems: ChainProblem[] = [];
  private omitted = 0;

  /** `seq` is where the record is stored; `data` its bytes as stored. */
  add(seq: number, data: Uint8Array | string): void {
    this.checked++;
    const record = parseRecord(data);
    if (!record) {
      this.problem(seq, 'malformed', 'not an audit record (not JSON, or a field is missing or of the wrong type)');
      this.last = null;
      return;
    }
    if (recordHash(record) !== record.hash) this.problem(seq, 'altered', 'its content does not match its hash');
    if (record.seq !== seq) this.problem(seq, 'misplaced', `it says it was written at sequence ${record.seq}`);
    if (this.first === null) {
      this.first = { seq, genesis: seq === 1 };
      if (seq === 1 && record.prev !== GENESIS_HASH) this.problem(seq, 'unlinked', 'the first record of the trail does not start from the genesis hash');
    } else if (this.last === null) {
      // The record before was unreadable: nothing to link to.
    } else {
      if (seq !== this.last.seq + 1) this.problem(seq, 'missing', `records ${this.last.seq + 1}-${seq - 1} are gone`);
      if (record.prev !== this.last.hash) this.problem(seq, 'unlinked', `its prev is not the hash of record ${this.last.seq}`);
    }
    this.last = { seq, hash: record.hash };
  }

  result(): ChainVerification {
    return { intact: this.problems.length === 0 && this.omitted === 0, checked: this.checked, first: this.first, last: this.last, problems: [...this.problems], problemsOmitted: this.omitted };
  }

  private problem(seq: number, kind: ChainProblemKind, detail: string): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push({ seq, kind, detail });
    else this.omitted++;
  }
}

/** Verifies records given in stream order. */
export function verifyChain(stored: Iterable<{ seq: number; data: Uint8Array | string }>): ChainVerification {
  const verifier = new ChainVerifier();
  for (const { seq, data } of stored) verifier.add(seq, data);
  return verifier.result();
}

/** The record in `data`, or null when it is not one. */
export function parseRecord(data: Uint8Array | string): AuditRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(typeof data === 'string' ? data : new TextDecoder('utf-8', { fatal: true }).decode(data));
  } catch {
    return null;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const r = value as Record<string, unknown>;
  const strings = ['time', 'action', 'principal', 'target', 'host', 'prev', 'hash'];
  if (r.v !== 1 || !Number.isSafeInteger(r.seq) || strings.some((k) => typeof r[k] !== 'string')) return null;
  if (!HEX64.test(r.prev as string) || !HEX64.test(r.hash as string)) return null;
  const result = r.result as Record<string, unknown> | null;
  if (result === null || typeof result !== 'object' || typeof result.outcome !== 'string' || typeof result.status !== 'number') return null;
  return value as AuditRecord;
}
