import { createHash, randomUUID } from 'node:crypto';
import type { Topology } from '#contracts';
import type { JetStreamManager, StoredMsg } from '@nats-io/jetstream';
import { traceReplay } from '#telemetry';
import { walkStream } from '../admin/stream-walk.js';
import { HEADERS, type HeaderEntries } from '../headers/message-headers.js';
import type { JetStreamPublisher, PublishResult } from '../publisher/jetstream.publisher.js';
import { DLQ_REJECTED_STREAM, DLQ_STREAM, REPLAY_HEADERS } from './dead-letter.constants.js';
import { AlreadyReplayedError, DeadLetterNotFoundError, ReplayRefusedError } from './dead-letter.errors.js';
import { dlqSubjectFilter, matchesRest, type DeadLetterFilter, type DeadLetterPage } from './dead-letter.query.js';
import { decodeDeadLetter, type DeadLetter, type DeadLetterListing, type StoredDeadLetter } from './dead-letter.record.js';
import { decodeRejection, type RejectedAdvisory } from './rejected-advisory.record.js';
import { ReplayLog, type ReplayMark } from './replay-log.js';
import { editedMessage } from './edited-replay.js';
import { resolveReplayTarget, topicOf } from './replay-target.js';

export interface ReplayResult extends PublishResult {
  replayOf: number;
  subject: string;
  /** The record had been replayed before and `force` was set. */
  forced: boolean;
  /** An edited replay: SHA-256 (hex) of the stored payload's bytes and of the replayed ones, for the audit trail. */
  payloadDigests?: { before: string; after: string };
}

export interface ReplayOptions {
  /** Replay a record that was replayed before. */
  force?: boolean;
}

/** A record a bulk replay left out, and why. */
export interface SkippedReplay {
  id: number;
  reason: string;
  /** Set when it was skipped because it had been replayed. */
  previousReplay?: ReplayMark;
}

/** Most records one bulk operation touches; more needs another call (the response says so). */
const BULK_LIMIT = 10_000;
/**
 * Most records one listing page reads: a filter the server cannot apply
 * (reason, subject, time) that matches rarely would otherwise walk a whole
 * large DLQ in one request. The page then ends early; `next` continues.
 */
export const LIST_SCAN_LIMIT = 5_000;

/** Inspect, replay and purge dead letters: the one implementation behind the admin API and the CLI. */
export class DeadLetterService {
  constructor(
    private readonly jsm: JetStreamManager,
    private readonly topology: Topology,
    private readonly publisher: JetStreamPublisher,
    private readonly replays: ReplayLog = new ReplayLog(jsm.jetstream()),
  ) {}

  /**
   * Records matching the filter, oldest first, after `page.after`, each with
   * its latest replay; `next` continues the listing. A page ends after
   * `page.limit` matches or LIST_SCAN_LIMIT records read, whichever is first.
   */
  async list(filter: DeadLetterFilter, page: DeadLetterPage): Promise<DeadLetterListing> {
    const items: DeadLetter[] = [];
    let scanned = 0;
    let next: number | null = null;
    const { state } = await this.jsm.streams.info(DLQ_STREAM);
    for await (const { record } of this.walk(filter, page.after, state.last_seq)) {
      scanned++;
      if (matchesRest(filter, record)) items.push(record);
      if (items.length === page.limit || scanned === LIST_SCAN_LIMIT) {
        next = record.id < state.last_seq ? record.id : null;
        break;
      }
    }
    return { items: await this.withReplays(items), next, total: state.messages, scanned };
  }

  async get(id: number): Promise<DeadLetter> {
    const [record] = await this.withReplays([(await this.stored(id)).record]);
    return record!;
  }

  private withReplays(records: DeadLetter[]): Promise<DeadLetter[]> {
    return Promise.all(records.map(async (r) => ({ ...r, replay: await this.replays.lastReplay(r.id, ReplayLog.identity(r)) })));
  }

  /**
   * Republishes the original payload (or an edited one, validated like ingress
   * and routed again) with a new msgID for a declared topic's subject, stored
   * only by that topic's stream, on the redelivery subject of the consumer that
   * dead-lettered it: only that durable receives the replay, and its handler
   * sees the topic subject. The record stays for audit and is marked replayed.
   */
  async replay(id: number, edited?: unknown, options: ReplayOptions = {}): Promise<ReplayResult> {
    return this.replayStored(await this.stored(id), edited, options.force ?? false);
  }

  private async replayStored({ record, data, originalHeaders }: StoredDeadLetter, edited: unknown, force: boolean): Promise<ReplayResult> {
    let body: Uint8Array | string = data;
    let subject = record.subject;
    let headers: HeaderEntries = originalHeaders;
    if (edited !== undefined) {
      const topic = topicOf(this.topology, record.subject);
      const edit = editedMessage(topic, edited, originalHeaders);
      body = edit.data;
      subject = edit.subject;
      headers = edit.headers;
    } else if (record.originalMissing) {
      throw new ReplayRefusedError(`record ${record.id} has no payload (the original was gone); replay it with an edited payload`);
    }
    const target = resolveReplayTarget(this.topology, record, subject, edited !== undefined);
    const msgId = randomUUID();
    const mark: ReplayMark = {
      record: ReplayLog.identity(record),
      state: 'publishing',
      startedAt: new Date().toISOString(),
      subject,
      msgId,
      edited: edited !== undefined,
      forced: force,
    };
    const claim = await this.replays.claim(record.id, mark, force);
    const originalTraceparent = record.headers.traceparent?.[0];
    // The replay is a new trace; it links back to the original instead of continuing it.
    // A replay starts its attempts afresh, even of a rescheduled copy; a record of a copy made before
    // redelivery subjects may carry `nestjet-replay-for`, which the redelivery subject replaces.
    headers = headers.filter(([k]) => k !== 'traceparent' && k !== 'tracestate' && k !== HEADERS.attempts && k !== REPLAY_HEADERS.replayFor);
    headers.push([REPLAY_HEADERS.replayOf, String(record.id)]);
    if (originalTraceparent) headers.push([REPLAY_HEADERS.originalTraceparent, originalTraceparent]);
    let ack: PublishResult;
    try {
      ack = await traceReplay({ id: record.id, subject, consumer: record.consumer, original: originalTraceparent }, (trace) =>
        this.publisher.publish(target.redeliverySubject, body, { msgId, headers, expectStream: target.stream, trace }),
      );
    } catch (err) {
      await this.replays.release(claim).catch(() => undefined);
      throw err;
    }
    const done: ReplayMark = { ...mark, state: 'done', replayedAt: new Date().toISOString(), stream: ack.stream, seq: ack.seq };
    // Stored already: a failed mark only weakens the twice-guard, it must not turn a done replay into an error.
    await this.replays.complete(claim, done).catch(() => undefined);
    const payloadDigests = edited !== undefined ? { before: sha256(data), after: sha256(body) } : undefined;
    return { ...ack, replayOf: record.id, subject, forced: claim.previous !== null, ...(payloadDigests ? { payloadDigests } : {}) };
  }

  /** Replays every match; records replayed before (unless `force`), without payload, or refused are skipped and reported. */
  async replayMatching(
    filter: DeadLetterFilter,
    dryRun: boolean,
    options: ReplayOptions = {},
  ): Promise<{ matched: number; replayed: ReplayResult[]; skipped: SkippedReplay[]; truncated: boolean }> {
    const matches = await this.matching(filter);
    const truncated = matches.length === BULK_LIMIT;
    const replayed: ReplayResult[] = [];
    const skipped: SkippedReplay[] = [];
    for (const m of matches) {
      const { record } = m;
      if (record.originalMissing) {
        skipped.push({ id: record.id, reason: 'no payload (the original was gone); replay it alone with an edited payload' });
        continue;
      }
      if (dryRun) {
        const previous = options.force ? null : await this.replays.lastReplay(record.id, ReplayLog.identity(record));
        if (previous) skipped.push({ id: record.id, reason: 'replayed before', previousReplay: previous });
        continue;
      }
      try {
        replayed.push(await this.replayStored(m, undefined, options.force ?? false));
      } catch (err) {
        if (err instanceof AlreadyReplayedError) skipped.push({ id: record.id, reason: 'replayed before', previousReplay: err.previous });
        else if (err instanceof ReplayRefusedError) skipped.push({ id: record.id, reason: err.message });
        else throw err;
      }
    }
    return { matched: matches.length, replayed, skipped, truncated };
  }

  async purge(id: number): Promise<void> {
    await this.stored(id);
    await this.jsm.streams.deleteMessage(DLQ_STREAM, id, false);
  }

  async purgeMatching(filter: DeadLetterFilter, dryRun: boolean): Promise<{ matched: number; purged: number; truncated: boolean }> {
    const matches = await this.matching(filter);
    if (!dryRun) {
      for (const { record } of matches) await this.jsm.streams.deleteMessage(DLQ_STREAM, record.id, false);
    }
    return { matched: matches.length, purged: dryRun ? 0 : matches.length, truncated: matches.length === BULK_LIMIT };
  }

  /** Advisories the router refused, oldest first, after `page.after`. */
  async listRejected(page: DeadLetterPage): Promise<{ items: RejectedAdvisory[]; next: number | null }> {
    const items: RejectedAdvisory[] = [];
    const last = (await this.jsm.streams.info(DLQ_REJECTED_STREAM)).state.last_seq;
    for await (const m of walkStream(this.jsm, DLQ_REJECTED_STREAM, { after: page.after, last })) {
      items.push(decodeRejection(m));
      // As list(): a page that ends on the last record has no next one.
      if (items.length === page.limit) return { items, next: m.seq < last ? m.seq : null };
    }
    return { items, next: null };
  }

  private async matching(filter: DeadLetterFilter): Promise<StoredDeadLetter[]> {
    const matches: StoredDeadLetter[] = [];
    for await (const m of this.scan(filter, 0)) {
      matches.push(m);
      if (matches.length === BULK_LIMIT) break;
    }
    return matches;
  }

  /** The record, or DeadLetterNotFoundError; any other failure (a 503, a timeout) propagates as it is. */
  private async stored(id: number): Promise<StoredDeadLetter> {
    const m: StoredMsg | null = await this.jsm.streams.getMessage(DLQ_STREAM, { seq: id });
    if (!m) throw new DeadLetterNotFoundError(id);
    return decodeDeadLetter(m);
  }

  /** The records matching the filter from `after` on. */
  private async *scan(filter: DeadLetterFilter, after: number): AsyncGenerator<StoredDeadLetter> {
    const last = (await this.jsm.streams.info(DLQ_STREAM)).state.last_seq;
    for await (const m of this.walk(filter, after, last)) if (matchesRest(filter, m.record)) yield m;
  }

  /** Every record the server's subject filter lets through (direct get, next by subject) from `after` to `last`; decodes each once. */
  private async *walk(filter: DeadLetterFilter, after: number, last: number): AsyncGenerator<StoredDeadLetter> {
    for await (const m of walkStream(this.jsm, DLQ_STREAM, { after, last, subject: dlqSubjectFilter(filter) })) yield decodeDeadLetter(m);
  }
}

function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}
