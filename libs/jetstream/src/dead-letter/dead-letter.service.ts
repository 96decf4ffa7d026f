import { randomUUID } from 'node:crypto';
import { subjectFor, subjectMatches, validateTopicPayload, ValidationFailedError, type Topology } from '#contracts';
import type { JetStreamManager, StoredMsg } from '@nats-io/jetstream';
import { traceReplay } from '#telemetry';
import type { HeaderEntries } from '../headers/message-headers.js';
import type { JetStreamPublisher, PublishResult } from '../publisher/jetstream.publisher.js';
import { DLQ_STREAM, REPLAY_HEADERS } from './dead-letter.constants.js';
import { DeadLetterNotFoundError, ReplayRefusedError } from './dead-letter.errors.js';
import { dlqSubjectFilter, matchesRest, type DeadLetterFilter, type DeadLetterPage } from './dead-letter.query.js';
import { decodeDeadLetter, type DeadLetter, type StoredDeadLetter } from './dead-letter.record.js';

export interface ReplayResult extends PublishResult {
  replayOf: number;
  subject: string;
}

/** Most records one bulk operation touches; more needs another call (the response says so). */
const BULK_LIMIT = 10_000;

/** Inspect, replay and purge dead letters: the one implementation behind the admin API and the CLI. */
export class DeadLetterService {
  constructor(
    private readonly jsm: JetStreamManager,
    private readonly topology: Topology,
    private readonly publisher: JetStreamPublisher,
  ) {}

  /** Records matching the filter, oldest first, after `page.after`; `next` continues the listing. */
  async list(filter: DeadLetterFilter, page: DeadLetterPage): Promise<{ items: DeadLetter[]; next: number | null }> {
    const items: DeadLetter[] = [];
    for await (const { record } of this.scan(filter, page.after)) {
      items.push(record);
      if (items.length === page.limit) return { items, next: record.id };
    }
    return { items, next: null };
  }

  async get(id: number): Promise<DeadLetter> {
    return (await this.stored(id)).record;
  }

  /**
   * Republishes the original payload (or an edited one, validated like ingress
   * and routed again) to its subject with a new msgID. Only the consumer that
   * dead-lettered it processes the replay; the record stays for audit.
   */
  async replay(id: number, edited?: unknown): Promise<ReplayResult> {
    return this.replayStored(await this.stored(id), edited);
  }

  private async replayStored({ record, data, originalHeaders }: StoredDeadLetter, edited?: unknown): Promise<ReplayResult> {
    let body: Uint8Array | string = data;
    let subject = record.subject;
    if (edited !== undefined) {
      const topic = this.topology.topics.find((t) => subjectMatches(t.name, record.subject));
      if (!topic) throw new ReplayRefusedError(`subject ${record.subject} belongs to no topic, so an edited payload cannot be validated`);
      const errors = validateTopicPayload(topic, edited, 'payload');
      if (errors.length > 0) throw new ValidationFailedError(errors);
      body = JSON.stringify(edited);
      subject = subjectFor(topic, edited as object);
    } else if (record.originalMissing) {
      throw new ReplayRefusedError(`record ${record.id} has no payload (the original was gone); replay it with an edited payload`);
    }
    const originalTraceparent = record.headers.traceparent?.[0];
    // The replay is a new trace; it links back to the original instead of continuing it.
    const headers: HeaderEntries = originalHeaders.filter(([k]) => k !== 'traceparent' && k !== 'tracestate');
    headers.push([REPLAY_HEADERS.replayOf, String(record.id)], [REPLAY_HEADERS.replayFor, record.consumer]);
    if (originalTraceparent) headers.push([REPLAY_HEADERS.originalTraceparent, originalTraceparent]);
    return traceReplay({ id: record.id, subject, consumer: record.consumer, original: originalTraceparent }, async () => {
      const ack = await this.publisher.publish(subject, body, { msgId: randomUUID(), headers });
      return { ...ack, replayOf: record.id, subject };
    });
  }

  async replayMatching(filter: DeadLetterFilter, dryRun: boolean): Promise<{ matched: number; replayed: ReplayResult[]; truncated: boolean }> {
    const matches = await this.matching(filter);
    const truncated = matches.length === BULK_LIMIT;
    if (dryRun) return { matched: matches.length, replayed: [], truncated };
    const replayed: ReplayResult[] = [];
    for (const m of matches) {
      if (!m.record.originalMissing) replayed.push(await this.replayStored(m));
    }
    return { matched: matches.length, replayed, truncated };
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

  /** Walks the DLQ from `after` with server-side subject filtering (direct get, next by subject); decodes each record once. */
  private async *scan(filter: DeadLetterFilter, after: number): AsyncGenerator<StoredDeadLetter> {
    const last = (await this.jsm.streams.info(DLQ_STREAM)).state.last_seq;
    const next_by_subj = dlqSubjectFilter(filter);
    let seq = after + 1;
    while (seq <= last) {
      const m = await this.jsm.direct.getMessage(DLQ_STREAM, { seq, next_by_subj });
      if (!m || m.seq > last) return;
      seq = m.seq + 1;
      const decoded = decodeDeadLetter(m);
      if (matchesRest(filter, decoded.record)) yield decoded;
    }
  }
}
