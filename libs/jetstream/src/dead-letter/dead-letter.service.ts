import { randomUUID } from 'node:crypto';
import {
  REPLAY_HEADERS,
  subjectFor,
  subjectMatches,
  summarizeFieldErrors,
  validateTopicPayload,
  type Topology,
} from '#contracts';
import { JetStreamApiError, jetstreamManager, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { MESSAGING, ORIGINAL_TRACEPARENT_HEADER, parseTraceparent, recordFailure, tracer } from '#telemetry';
import type { JetStreamPublisher, PublishResult } from '../publisher/jetstream.publisher.js';
import { DeadLetterNotFoundError, ReplayRefusedError } from './dead-letter.errors.js';
import { dlqSubjectFilter, matchesRest, type DeadLetterFilter, type DeadLetterPage } from './dead-letter.query.js';
import { toDeadLetterView, type DeadLetterView } from './dead-letter.view.js';

export interface ReplayResult extends PublishResult {
  replayOf: number;
  subject: string;
}

/** Most records one bulk operation touches; more needs another call (the response says so). */
const BULK_LIMIT = 10_000;

/** Inspect, replay and purge dead letters: the one implementation behind the admin API and the CLI. */
export class DeadLetterService {
  private jsm?: Promise<JetStreamManager>;

  constructor(
    private readonly nc: NatsConnection,
    private readonly topology: Topology,
    private readonly publisher: JetStreamPublisher,
  ) {}

  private manager(): Promise<JetStreamManager> {
    this.jsm ??= jetstreamManager(this.nc, { checkAPI: false });
    return this.jsm;
  }

  private get stream(): string {
    return this.topology.deadLetter.dlqStream;
  }

  /** Records matching the filter, oldest first, after `page.after`; `next` continues the listing. */
  async list(filter: DeadLetterFilter, page: DeadLetterPage): Promise<{ items: DeadLetterView[]; next: number | null }> {
    const items: DeadLetterView[] = [];
    for await (const m of this.scan(filter, page.after)) {
      items.push(toDeadLetterView(m));
      if (items.length === page.limit) return { items, next: m.seq };
    }
    return { items, next: null };
  }

  async get(id: number): Promise<DeadLetterView> {
    return toDeadLetterView(await this.stored(id));
  }

  /**
   * Republishes the original payload (or an edited one, validated like ingress
   * and routed again) to its subject with a new msgID. Only the consumer that
   * dead-lettered it processes the replay; the record stays for audit.
   */
  async replay(id: number, edited?: unknown): Promise<ReplayResult> {
    return this.replayRecord(await this.stored(id), edited);
  }

  private async replayRecord(m: StoredMsg, edited?: unknown): Promise<ReplayResult> {
    const id = m.seq;
    const view = toDeadLetterView(m);
    let data: Uint8Array | string = m.data;
    let subject = view.subject;
    if (edited !== undefined) {
      const topic = this.topology.topics.find((t) => subjectMatches(t.name, view.subject));
      if (!topic) throw new ReplayRefusedError(`subject ${view.subject} belongs to no topic, so an edited payload cannot be validated`);
      const errors = validateTopicPayload(topic, edited, 'payload');
      if (errors.length > 0) throw new ReplayRefusedError(`edited payload failed validation: ${summarizeFieldErrors(errors)}`, errors);
      data = JSON.stringify(edited);
      subject = subjectFor(topic, edited as object);
    } else if (view.originalMissing) {
      throw new ReplayRefusedError(`record ${id} has no payload (the original was gone); replay it with an edited payload`, [], true);
    }
    // The replay is a new trace; it links back to the original instead of continuing it.
    const headers: [string, string][] = Object.entries(view.headers)
      .filter(([k]) => k !== 'traceparent' && k !== 'tracestate')
      .flatMap(([k, vs]) => vs.map((v): [string, string] => [k, v]));
    headers.push([REPLAY_HEADERS.replayOf, String(id)], [REPLAY_HEADERS.replayFor, view.consumer]);
    const originalTraceparent = view.headers.traceparent?.[0];
    if (originalTraceparent) headers.push([ORIGINAL_TRACEPARENT_HEADER, originalTraceparent]);
    const original = parseTraceparent(originalTraceparent);
    return tracer().startActiveSpan(
      `replay ${subject}`,
      {
        root: true,
        links: original ? [{ context: original, attributes: { 'nestjet.link': 'replay-of' } }] : [],
        attributes: { 'nestjet.dlq.id': id, [MESSAGING.destination]: subject, [MESSAGING.consumerGroup]: view.consumer },
      },
      async (span) => {
        try {
          const ack = await this.publisher.publish(subject, data, { msgId: randomUUID(), headers });
          return { ...ack, replayOf: id, subject };
        } catch (err) {
          recordFailure(span, err);
          throw err;
        } finally {
          span.end();
        }
      },
    );
  }

  async replayMatching(filter: DeadLetterFilter, dryRun: boolean): Promise<{ matched: number; replayed: ReplayResult[]; truncated: boolean }> {
    const records = await this.matching(filter);
    const truncated = records.length === BULK_LIMIT;
    if (dryRun) return { matched: records.length, replayed: [], truncated };
    const replayed: ReplayResult[] = [];
    for (const m of records) {
      if (!toDeadLetterView(m).originalMissing) replayed.push(await this.replayRecord(m));
    }
    return { matched: records.length, replayed, truncated };
  }

  async purge(id: number): Promise<void> {
    await this.stored(id);
    await (await this.manager()).streams.deleteMessage(this.stream, id, false);
  }

  async purgeMatching(filter: DeadLetterFilter, dryRun: boolean): Promise<{ matched: number; purged: number; truncated: boolean }> {
    const records = await this.matching(filter);
    if (!dryRun) {
      const jsm = await this.manager();
      for (const m of records) await jsm.streams.deleteMessage(this.stream, m.seq, false);
    }
    return { matched: records.length, purged: dryRun ? 0 : records.length, truncated: records.length === BULK_LIMIT };
  }

  private async matching(filter: DeadLetterFilter): Promise<StoredMsg[]> {
    const records: StoredMsg[] = [];
    for await (const m of this.scan(filter, 0)) {
      records.push(m);
      if (records.length === BULK_LIMIT) break;
    }
    return records;
  }

  private async stored(id: number): Promise<StoredMsg> {
    try {
      const m = await (await this.manager()).streams.getMessage(this.stream, { seq: id });
      if (m) return m;
    } catch (err) {
      if (!(err instanceof JetStreamApiError)) throw err;
    }
    throw new DeadLetterNotFoundError(id);
  }

  /** Walks the DLQ from `after` with server-side subject filtering (direct get, next by subject). */
  private async *scan(filter: DeadLetterFilter, after: number): AsyncGenerator<StoredMsg> {
    const jsm = await this.manager();
    const last = (await jsm.streams.info(this.stream)).state.last_seq;
    const next_by_subj = dlqSubjectFilter(filter);
    let seq = after + 1;
    while (seq <= last) {
      const m = await jsm.direct.getMessage(this.stream, { seq, next_by_subj });
      if (!m || m.seq > last) return;
      seq = m.seq + 1;
      const v = toDeadLetterView(m);
      if (matchesRest(filter, v)) yield m;
    }
  }
}
