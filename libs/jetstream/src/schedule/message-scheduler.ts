import type { Context } from '@opentelemetry/api';
import { JetStreamApiError, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import { walkStream } from '../admin/stream-walk.js';
import { isNotFound } from '../errors/jetstream-api.errors.js';
import { PublishRejectedError } from '../errors/publish.errors.js';
import { HEADERS, type HeaderEntries } from '../headers/message-headers.js';
import type { JetStreamPublisher, PublishResult } from '../publisher/jetstream.publisher.js';
import { SCHEDULE_BYTE_UNIT, SCHEDULE_DUE_TTL, SCHEDULE_HEADERS, SCHEDULE_PENDING_PREFIX, SCHEDULES_STREAM } from './schedule.constants.js';
import { ScheduleNotFoundError, SchedulesFullError } from './schedule.errors.js';
import {
  atSchedule,
  decodeSchedule,
  dueSubject,
  heldFilter,
  heldSubject,
  ledgerFilter,
  ledgerSubject,
  NATS_SCHEDULE_HEADERS,
  pendingSubject,
  type PendingSchedule,
  type ScheduleListing,
} from './schedule.record.js';

export interface ScheduleRequest {
  /** The schedule's id: a subject token, the same on every retry of one request. */
  id: string;
  /** Where the message is delivered when due. */
  subject: string;
  data: Uint8Array | string;
  deliverAt: Date;
  /** `Nats-Msg-Id` of the schedule: a retry within the duplicate window stores nothing new. */
  msgId: string;
  /** The identity the delivered message keeps (idempotent handlers key on it); default: msgId. */
  originMsgId?: string;
  scheduledBy: string;
  headers?: HeaderEntries;
  /** Metric label of the publish. */
  topic?: string;
  trace?: Context;
}

export interface ScheduleResult extends PublishResult {
  scheduleId: string;
  /** When it is delivered; absent for a repeat of a schedule that was delivered already. */
  deliverAt?: string;
}

/** Whose schedules an operation may see: `scheduledBy` set, only that principal's; unset, everyone's. */
export interface ScheduleOwner {
  scheduledBy?: string;
}

/** Most schedules one listing page reads when it filters by owner (the server cannot filter on a header). */
export const SCHEDULE_LIST_SCAN_LIMIT = 5_000;

const owns = (owner: ScheduleOwner, scheduledBy: string | undefined) => owner.scheduledBy === undefined || owner.scheduledBy === scheduledBy;

/** The answer to a request whose schedule is already pending: that one, as a duplicate. */
const duplicateOf = (r: ScheduleRequest, pending: PendingSchedule): ScheduleResult => ({
  id: r.msgId,
  stream: SCHEDULES_STREAM,
  seq: pending.seq,
  duplicate: true,
  scheduleId: r.id,
  deliverAt: pending.deliverAt,
});

/** How old the SCHEDULES message count may be when a new schedule is checked against the cap. */
const CAPACITY_CHECK_INTERVAL_MS = 1_000;

/** JSStreamWrongLastSequenceErr: a pending schedule already holds this id's subject. */
const WRONG_LAST_SEQUENCE = 10071;

/**
 * Delayed delivery through the nats-server message scheduler: a message is
 * stored at once on its own subject in SCHEDULES and the server produces it
 * at `deliverAt` (see withSchedules for how it reaches the topic's stream).
 * The one implementation behind the ingress and the schedules API.
 */
export class MessageScheduler {
  /** The last SCHEDULES message count and size, and when they were read (shared by concurrent schedules). */
  private count?: { state: Promise<{ messages: number; bytes: number }>; at: number };

  constructor(
    private readonly jsm: JetStreamManager,
    private readonly publisher: JetStreamPublisher,
    /** Most messages SCHEDULES may hold; beyond it new schedules are refused (the server allows it no discard-new limit). Undefined: no cap (retries of stored messages). */
    private readonly maxMessages?: number,
    /** Most bytes SCHEDULES may hold, likewise: its `max_bytes` would evict the oldest schedules (discard old), so the cap is the scheduler's. */
    private readonly maxBytes?: number,
    /** Most schedules one `scheduledBy` may have pending (counted by the server in the ledger); undefined: no ledger is kept. */
    private readonly maxPendingPerCaller?: number,
    /** Most payload bytes one `scheduledBy` may have pending, counted in SCHEDULE_BYTE_UNIT units by the server; undefined: not kept. */
    private readonly maxPendingBytesPerCaller?: number,
  ) {}

  /**
   * Stores the schedule. Only a new subject is accepted (expected last
   * subject sequence 0): a repeat of a still pending id answers with the
   * pending schedule as a duplicate, never replaces it.
   */
  async schedule(r: ScheduleRequest): Promise<ScheduleResult> {
    const refusal = await this.capRefusal(r);
    if (refusal) {
      // A retry of a schedule this caller already stored is answered with it: "nothing was stored" would be false.
      const pending = await this.pending(r.id, { scheduledBy: r.scheduledBy });
      if (!pending) throw refusal;
      return duplicateOf(r, pending);
    }
    const headers: HeaderEntries = [
      ...(r.headers ?? []),
      [NATS_SCHEDULE_HEADERS.schedule, atSchedule(r.deliverAt)],
      [NATS_SCHEDULE_HEADERS.target, dueSubject(r.subject)],
      [NATS_SCHEDULE_HEADERS.ttl, SCHEDULE_DUE_TTL],
      ['Nats-Expected-Last-Subject-Sequence', '0'],
      [SCHEDULE_HEADERS.scheduledBy, r.scheduledBy],
      [HEADERS.originMsgId, r.originMsgId ?? r.msgId],
      // The server copies the headers onto the delivered message: its end-to-end latency starts when it is due.
      [HEADERS.publishedAt, String(r.deliverAt.getTime())],
    ];
    const deliverAt = r.deliverAt.toISOString();
    try {
      const ack = await this.publisher.publish(pendingSubject(r.id), r.data, {
        msgId: r.msgId,
        headers,
        expectStream: SCHEDULES_STREAM,
        topic: r.topic,
        trace: r.trace,
      });
      if (!ack.duplicate) {
        await this.record(r);
        return { ...ack, scheduleId: r.id, deliverAt };
      }
      // A repeat within the duplicate window: the first request's time holds, if it is still pending.
      const pending = await this.pending(r.id);
      return { ...ack, scheduleId: r.id, deliverAt: pending?.deliverAt };
    } catch (err) {
      if (!(err instanceof PublishRejectedError && isWrongLastSequence(err.cause))) throw err;
      return duplicateOf(r, await this.get(r.id));
    }
  }

  /** The pending schedule of `id`, or undefined when there is none (an outage still throws). */
  private pending(id: string, owner: ScheduleOwner = {}): Promise<PendingSchedule | undefined> {
    return this.get(id, owner).catch((err: unknown) => {
      if (err instanceof ScheduleNotFoundError) return undefined;
      throw err;
    });
  }

  /** The cap a new schedule would pass, if any: SCHEDULES' messages or bytes, the caller's pending schedules or bytes. */
  private async capRefusal(r: ScheduleRequest): Promise<SchedulesFullError | undefined> {
    if (this.maxMessages !== undefined || this.maxBytes !== undefined) {
      const { messages, bytes } = await this.state();
      if (this.maxMessages !== undefined && messages >= this.maxMessages) return new SchedulesFullError(this.maxMessages, 'messages');
      if (this.maxBytes !== undefined && bytes + byteLength(r.data) > this.maxBytes) return new SchedulesFullError(this.maxBytes, 'bytes');
    }
    if (this.maxPendingPerCaller !== undefined && (await this.countOf(ledgerFilter(r.scheduledBy))) >= this.maxPendingPerCaller) {
      return new SchedulesFullError(this.maxPendingPerCaller, 'per-caller');
    }
    if (this.maxPendingBytesPerCaller !== undefined) {
      const held = (await this.countOf(heldFilter(r.scheduledBy))) + unitsOf(r.data);
      if (held * SCHEDULE_BYTE_UNIT > this.maxPendingBytesPerCaller) return new SchedulesFullError(this.maxPendingBytesPerCaller, 'bytes-per-caller');
    }
    return undefined;
  }

  /**
   * Messages and bytes in SCHEDULES, read at most once a second: the caps
   * are a guard against runaway growth, not exact quotas (per-caller bytes
   * are the ingress's publish-bytes quota), and a stream info per publish
   * would cost a round trip and server work on every scheduled message.
   * Between two reads each process may add up to a second of its schedules.
   */
  private state(): Promise<{ messages: number; bytes: number }> {
    const now = performance.now();
    if (!this.count || now - this.count.at > CAPACITY_CHECK_INTERVAL_MS) {
      const state = this.jsm.streams.info(SCHEDULES_STREAM).then((i) => ({ messages: i.state.messages, bytes: i.state.bytes }));
      // A failed read is not remembered: the next schedule asks again.
      state.catch(() => (this.count = undefined));
      this.count = { state, at: now };
    }
    return this.count.state;
  }

  /**
   * The ledger entry of a stored schedule: it expires when the schedule falls
   * due (the server's per-message TTL, rounded up to the second), so the count
   * needs no one to take delivered schedules off. One that cannot be written
   * (the schedule is stored) leaves the caller's count one short: lenient, not wrong the other way.
   */
  private async record(r: ScheduleRequest): Promise<void> {
    const subjects = [
      ...(this.maxPendingPerCaller === undefined ? [] : [ledgerSubject(r.scheduledBy, r.id)]),
      ...(this.maxPendingBytesPerCaller === undefined ? [] : Array.from({ length: unitsOf(r.data) }, (_, n) => heldSubject(r.scheduledBy, r.id, n))),
    ];
    if (subjects.length === 0) return;
    const ttlSeconds = Math.max(1, Math.ceil((r.deliverAt.getTime() - Date.now()) / 1000));
    const options = { headers: [['Nats-TTL', `${ttlSeconds}s`]] as HeaderEntries, expectStream: SCHEDULES_STREAM, topic: r.topic };
    await Promise.all(subjects.map((subject) => this.publisher.publish(subject, new Uint8Array(0), options).catch(() => undefined)));
  }

  /** How many ledger entries match `filter`: the server counts them by subject (`Nats-Num-Pending` of a direct get). */
  private async countOf(filter: string): Promise<number> {
    try {
      const batch = await this.jsm.direct.getBatch(SCHEDULES_STREAM, { seq: 1, next_by_subj: filter, batch: 1 });
      let count = 0;
      for await (const m of batch) count = m.pending + 1;
      return count;
    } catch (err) {
      if (isNotFound(err) || (err as { code?: number }).code === 404) return 0;
      throw err;
    }
  }

  /**
   * Pending schedules, oldest first, after SCHEDULES sequence `after`; with
   * `scheduledBy`, only that principal's. A page ends after `limit` items or
   * SCHEDULE_LIST_SCAN_LIMIT schedules read (an owner's few among many others'), and
   * `next` continues it.
   */
  async list(page: { after: number; limit: number }, owner: ScheduleOwner = {}): Promise<ScheduleListing> {
    const { state } = await this.jsm.streams.info(SCHEDULES_STREAM);
    const items: PendingSchedule[] = [];
    let scanned = 0;
    const walk = walkStream(this.jsm, SCHEDULES_STREAM, { after: page.after, last: state.last_seq, subject: `${SCHEDULE_PENDING_PREFIX}.*` });
    for await (const m of walk) {
      scanned++;
      if (owns(owner, m.header?.get(SCHEDULE_HEADERS.scheduledBy))) items.push(decodeSchedule(m));
      if (items.length === page.limit || scanned === SCHEDULE_LIST_SCAN_LIMIT) return { items, next: m.seq < state.last_seq ? m.seq : null };
    }
    return { items, next: null };
  }

  /** The pending schedule; one of another principal than `owner.scheduledBy` is not found, as if it did not exist. */
  async get(id: string, owner: ScheduleOwner = {}): Promise<PendingSchedule> {
    return decodeSchedule(await this.stored(id, owner));
  }

  private async stored(id: string, owner: ScheduleOwner): Promise<StoredMsg> {
    const m = await this.jsm.direct.getMessage(SCHEDULES_STREAM, { last_by_subj: pendingSubject(id) });
    if (!m || !owns(owner, m.header?.get(SCHEDULE_HEADERS.scheduledBy))) throw new ScheduleNotFoundError(id);
    return m;
  }

  /**
   * Deletes the schedule's message, by sequence: if the server delivered it
   * in between, the delete finds nothing and the caller learns it was too late.
   * The sequence is the one whose owner was checked: a schedule's subject takes
   * a new message only once the old one is gone, so no other can be deleted.
   */
  async cancel(id: string, owner: ScheduleOwner = {}): Promise<PendingSchedule> {
    const stored = await this.stored(id, owner);
    const pending = decodeSchedule(stored);
    try {
      await this.jsm.streams.deleteMessage(SCHEDULES_STREAM, pending.seq, false);
    } catch (err) {
      if (isNotFound(err)) throw new ScheduleNotFoundError(id);
      throw err;
    }
    if (pending.scheduledBy) await this.forget(pending.scheduledBy, id, stored.data.byteLength);
    return pending;
  }

  /** Takes a cancelled schedule off its caller's ledgers (entries already gone: nothing to do). */
  private async forget(scheduledBy: string, id: string, bytes: number): Promise<void> {
    const subjects = [ledgerSubject(scheduledBy, id), ...Array.from({ length: unitsOfLength(bytes) }, (_, n) => heldSubject(scheduledBy, id, n))];
    await Promise.all(
      subjects.map(async (subject) => {
        const entry = await this.jsm.direct.getMessage(SCHEDULES_STREAM, { last_by_subj: subject }).catch(() => null);
        if (entry) await this.jsm.streams.deleteMessage(SCHEDULES_STREAM, entry.seq, false).catch(() => undefined);
      }),
    );
  }
}

function isWrongLastSequence(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === WRONG_LAST_SEQUENCE;
}

/** How many SCHEDULE_BYTE_UNITs a payload is counted as (at least one). */
function unitsOf(data: Uint8Array | string): number {
  return unitsOfLength(byteLength(data));
}

function unitsOfLength(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / SCHEDULE_BYTE_UNIT));
}

function byteLength(data: Uint8Array | string): number {
  return typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
}
