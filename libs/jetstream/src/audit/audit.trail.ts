import { hostname } from 'node:os';
import { JetStreamApiCodes, JetStreamApiError, type JetStreamClient, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import type { Page } from '../admin/page-query.js';
import { ChainVerifier, chainRecord, GENESIS_HASH, parseRecord, type AuditEntry, type AuditRecord, type ChainVerification } from './audit-chain.js';
import { AUDIT_STREAM, auditSubject } from './audit.constants.js';
import type { AuditFilter } from './audit.query.js';

/** Appends that lost the race to another pod this many times in a row give up (a busy trail, not a broken one). */
const MAX_APPEND_ATTEMPTS = 20;
/** Most records one listing page reads; `next` continues. */
const LIST_SCAN_LIMIT = 5_000;
/** Records per batched direct get: verify reads the whole trail, one request per record would take minutes. */
const READ_BATCH = 256;

export interface AuditListing {
  items: AuditRecord[];
  /** Continue after this sequence; null at the end. */
  next: number | null;
  /** Records in the trail. */
  total: number;
}

export interface AuditVerification extends ChainVerification {
  /** The stream's first and last sequence when the check began (records after it are not checked). */
  stream: { firstSeq: number; lastSeq: number; messages: number };
}

export type AuditNote = Omit<AuditEntry, 'time' | 'host'> & Partial<Pick<AuditEntry, 'time' | 'host'>>;

/**
 * The audit trail in the AUDIT stream: appends records chained by hash and
 * reads them back. Appends are serialised in this process and made with
 * JetStream's expected-last-sequence, so records from several producer pods
 * form one chain: a pod whose idea of the tail is stale is refused by the
 * server, reads the tail again and retries.
 */
export class AuditTrail {
  private readonly js: JetStreamClient;
  private readonly host = hostname();
  /** The tail as this process last wrote or read it; undefined: read it from the stream. */
  private tail?: { seq: number; hash: string };
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly jsm: JetStreamManager) {
    this.js = jsm.jetstream();
  }

  /** Appends one record; resolves when the server stored it. */
  append(note: AuditNote): Promise<AuditRecord> {
    const entry: AuditEntry = { ...note, time: note.time ?? new Date().toISOString(), host: note.host ?? this.host };
    const appended = this.queue.then(() => this.appendNow(entry));
    this.queue = appended.catch(() => undefined);
    return appended;
  }

  private async appendNow(entry: AuditEntry): Promise<AuditRecord> {
    for (let attempt = 1; ; attempt++) {
      const tail = this.tail ?? (await this.readTail());
      const record = chainRecord(entry, tail.seq + 1, tail.hash);
      try {
        await this.js.publish(auditSubject(entry.action), JSON.stringify(record), { expect: { lastSequence: tail.seq, streamName: AUDIT_STREAM } });
        this.tail = { seq: record.seq, hash: record.hash };
        return record;
      } catch (err) {
        this.tail = undefined;
        if (!isWrongLastSequence(err) || attempt >= MAX_APPEND_ATTEMPTS) throw err;
      }
    }
  }

  /**
   * The last record's sequence and hash. When every record aged out, the
   * next one starts a new chain from the genesis hash (verify reports that
   * the chain starts there: its predecessor is gone).
   */
  private async readTail(): Promise<{ seq: number; hash: string }> {
    const { state } = await this.jsm.streams.info(AUDIT_STREAM);
    if (state.last_seq === 0 || state.messages === 0) return { seq: state.last_seq, hash: GENESIS_HASH };
    const last = await this.jsm.direct.getMessage(AUDIT_STREAM, { seq: state.last_seq });
    const record = last ? parseRecord(last.data) : null;
    // An unreadable tail (verify reports it as malformed) cannot be linked to: the next record chains from the genesis hash.
    return { seq: state.last_seq, hash: record?.hash ?? GENESIS_HASH };
  }

  /** Records matching the filter, oldest first, after `page.after`. */
  async list(filter: AuditFilter, page: Page): Promise<AuditListing> {
    const { state } = await this.jsm.streams.info(AUDIT_STREAM);
    const items: AuditRecord[] = [];
    let scanned = 0;
    const subject = filter.action ? auditSubject(filter.action) : undefined;
    for await (const m of this.read(page.after + 1, state.last_seq, subject)) {
      scanned++;
      const record = parseRecord(m.data);
      if (record && matches(filter, record)) items.push(record);
      if (items.length === page.limit || scanned === LIST_SCAN_LIMIT) return { items, next: m.seq < state.last_seq ? m.seq : null, total: state.messages };
    }
    return { items, next: null, total: state.messages };
  }

  /** Checks the whole retained trail (see ChainVerifier); records appended meanwhile are left for the next check. */
  async verify(): Promise<AuditVerification> {
    const { state } = await this.jsm.streams.info(AUDIT_STREAM);
    const verifier = new ChainVerifier();
    if (state.messages > 0) {
      for await (const m of this.read(state.first_seq, state.last_seq)) verifier.add(m.seq, m.data);
    }
    return { ...verifier.result(), stream: { firstSeq: state.first_seq, lastSeq: state.last_seq, messages: state.messages } };
  }

  /** Records from sequence `from` to `last` (on `subject` when given), oldest first, READ_BATCH per request. */
  private async *read(from: number, last: number, subject?: string): AsyncGenerator<StoredMsg> {
    let seq = from;
    while (seq <= last) {
      let read = 0;
      const batch = await this.jsm.direct.getBatch(AUDIT_STREAM, { seq, batch: READ_BATCH, ...(subject ? { next_by_subj: subject } : {}) });
      try {
        for await (const m of batch) {
          if (m.seq > last) return;
          read++;
          seq = m.seq + 1;
          yield m;
        }
      } catch (err) {
        // Nothing (more) at or after `seq`, on `subject`: the server answers a batch with status 404.
        if ((err as { code?: unknown }).code === 404) return;
        throw err;
      }
      // A batch may end early (the server caps its bytes); only an empty one means nothing is left.
      if (read === 0) return;
    }
  }
}

function isWrongLastSequence(err: unknown): boolean {
  return err instanceof JetStreamApiError && (err.code === JetStreamApiCodes.StreamWrongLastSequence || err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown);
}

function matches(f: AuditFilter, r: AuditRecord): boolean {
  if (f.principal !== undefined && r.principal !== f.principal) return false;
  if (f.target !== undefined && !r.target.startsWith(f.target)) return false;
  if (f.outcome !== undefined && r.result.outcome !== f.outcome) return false;
  const at = Date.parse(r.time);
  if (f.since && !(at >= f.since.getTime())) return false;
  if (f.until && !(at <= f.until.getTime())) return false;
  return true;
}
