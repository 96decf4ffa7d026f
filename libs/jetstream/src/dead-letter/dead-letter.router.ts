import { dlqSubject, DLQ_HEADERS, type Topology } from '#contracts';
import { Kvm, type KV } from '@nats-io/kv';
import {
  jetstream,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstreamManager,
  type ConsumerMessages,
  type JetStreamManager,
  type JsMsg,
  type StoredMsg,
} from '@nats-io/jetstream';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { extractTraceContext, MESSAGING, nestjetMetrics, recordFailure, remoteSpanContext, tracer } from '#telemetry';
import { SpanKind } from '@opentelemetry/api';
import { Logger } from '@nestjs/common';
import { HEADERS } from '../jetstream.constants.js';
import type { JetStreamPublisher } from '../publisher/jetstream.publisher.js';
import { parseAdvisory, type DeadLetterAdvisory } from './advisory.js';
import { describeFailure } from './failure-reason.js';
import { failureKey, type FailureRecord } from './failure-record.js';

const RETRY_DELAY_MS = 1_000;

/**
 * Turns max-deliveries and terminated advisories into DLQ records. Runs in
 * every consumer pod on one shared durable, so each advisory is routed once;
 * the record's msgID `<stream>:<seq>:<consumer>` makes a retried route after a
 * crash a duplicate, not a second record. The advisory is acked only after
 * the DLQ PubAck.
 */
export class DeadLetterRouter {
  private readonly logger = new Logger('DeadLetterRouter');
  private messages?: ConsumerMessages;
  private loop?: Promise<void>;
  private jsm?: JetStreamManager;
  private kv?: KV;
  private readonly retention = new Map<string, string>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly topology: Topology,
    private readonly publisher: JetStreamPublisher,
    private readonly concurrency = 4,
  ) {}

  async start(): Promise<void> {
    const { advisoryStream, routerDurable, failureBucket } = this.topology.deadLetter;
    this.jsm = await jetstreamManager(this.nc);
    this.kv = await new Kvm(this.nc).open(failureBucket);
    const consumer = await jetstream(this.nc).consumers.get(advisoryStream, routerDurable);
    this.messages = await consumer.consume({ max_messages: this.concurrency * 2 });
    this.loop = this.run(this.messages);
    this.logger.log({ event: 'dlq-router.started', stream: advisoryStream, consumer: routerDurable });
  }

  async stop(): Promise<void> {
    this.messages?.stop();
    await this.loop;
  }

  private async run(messages: ConsumerMessages): Promise<void> {
    const inflight = new Set<Promise<void>>();
    for await (const m of messages) {
      const task: Promise<void> = this.route(m).finally(() => inflight.delete(task));
      inflight.add(task);
      if (inflight.size >= this.concurrency) await Promise.race(inflight);
    }
    await Promise.all(inflight);
  }

  private async route(m: JsMsg): Promise<void> {
    let advisory: DeadLetterAdvisory;
    try {
      advisory = parseAdvisory(m.json());
    } catch (err) {
      this.logger.error({ event: 'dlq-router.bad-advisory', seq: m.seq, error: String(err) });
      m.term(String(err));
      return;
    }
    try {
      const { dlqSeq, lastFailureAt } = await this.deadLetter(advisory);
      m.ack();
      await this.kv!.delete(failureKey(advisory.stream, advisory.streamSeq, advisory.consumer)).catch(() => undefined);
      const latencyMs = lastFailureAt ? Date.now() - Date.parse(lastFailureAt) : null;
      this.logger.log({ event: 'dlq.routed', ...advisory, dlqSeq, latencyMs });
      nestjetMetrics.deadLettered.inc({ stream: advisory.stream, consumer: advisory.consumer, kind: advisory.kind });
    } catch (err) {
      this.logger.warn({ event: 'dlq-router.retry', ...advisory, error: String(err) });
      m.nak(RETRY_DELAY_MS);
    }
  }

  /** Copies the original (or what is left of it) into the DLQ. */
  private async deadLetter(a: DeadLetterAdvisory): Promise<{ dlqSeq: number; lastFailureAt: string | undefined }> {
    const failure = (await this.kv!.get(failureKey(a.stream, a.streamSeq, a.consumer)))?.json<FailureRecord>() ?? null;
    const stored = await this.original(a);
    const fromFailure = failure?.original;
    const data = stored?.data ?? (fromFailure ? Buffer.from(fromFailure.data, 'base64') : new Uint8Array());
    const originalHeaders: [string, string][] = stored
      ? stored.header.keys().flatMap((k) => stored.header.values(k).map((v): [string, string] => [k, v]))
      : (fromFailure?.headers ?? []);
    const { reason, errorName } = describeFailure(a, failure);
    const missing = !stored && !fromFailure;
    const lastFailureAt = failure?.lastFailureAt ?? a.timestamp;
    const headers: [string, string][] = [
      ...originalHeaders.filter(([k]) => !k.toLowerCase().startsWith('nats-')),
      [DLQ_HEADERS.kind, a.kind],
      [DLQ_HEADERS.subject, stored?.subject ?? failure?.subject ?? ''],
      [DLQ_HEADERS.stream, a.stream],
      [DLQ_HEADERS.seq, String(a.streamSeq)],
      [DLQ_HEADERS.consumer, a.consumer],
      [DLQ_HEADERS.deliveries, String(a.deliveries)],
      [DLQ_HEADERS.reason, oneLine(missing ? `${reason}; original message no longer in stream ${a.stream} (expired, purged or deleted)` : reason)],
      [DLQ_HEADERS.errorName, errorName],
      [DLQ_HEADERS.handler, failure?.handler ?? ''],
      [DLQ_HEADERS.firstFailureAt, failure?.firstFailureAt ?? a.timestamp],
      [DLQ_HEADERS.lastFailureAt, lastFailureAt],
      [DLQ_HEADERS.routedAt, new Date().toISOString()],
    ];
    const msgId = originalHeaders.find(([k]) => k === HEADERS.msgId)?.[1];
    if (msgId) headers.push([DLQ_HEADERS.originalMsgId, msgId]);
    if (stored) headers.push([DLQ_HEADERS.originalTime, stored.time.toISOString()]);
    if (missing) headers.push([DLQ_HEADERS.originalMissing, 'true']);

    const ack = await this.traced(a, originalHeaders, () =>
      this.publisher.publish(dlqSubject(a.stream, a.consumer), data, {
        msgId: `${a.stream}:${a.streamSeq}:${a.consumer}`,
        headers,
        expectStream: this.topology.deadLetter.dlqStream,
      }),
    );
    // WorkQueue and Interest streams keep a message that hit max deliveries until it is deleted.
    if (stored && (await this.retentionOf(a.stream)) !== 'limits') await this.deleteOriginal(a);
    return { dlqSeq: ack.seq, lastFailureAt: failure?.lastFailureAt };
  }

  /** A span in the original message's trace, so Jaeger shows the attempts and then the routing. */
  private traced<T>(a: DeadLetterAdvisory, originalHeaders: [string, string][], work: () => Promise<T>): Promise<T> {
    const carrier = natsHeaders();
    for (const [k, v] of originalHeaders) carrier.append(k, v);
    const parent = extractTraceContext(carrier);
    const original = remoteSpanContext(carrier);
    return tracer().startActiveSpan(
      `dead-letter ${a.stream}/${a.consumer}`,
      {
        kind: SpanKind.INTERNAL,
        links: original ? [{ context: original, attributes: { 'nestjet.link': 'dead-lettered' } }] : [],
        attributes: {
          [MESSAGING.system]: 'nats',
          [MESSAGING.stream]: a.stream,
          [MESSAGING.sequence]: a.streamSeq,
          [MESSAGING.consumerGroup]: a.consumer,
          [MESSAGING.deliveryCount]: a.deliveries,
          'nestjet.dlq.kind': a.kind,
        },
      },
      parent,
      async (span) => {
        try {
          return await work();
        } catch (err) {
          recordFailure(span, err);
          throw err;
        } finally {
          span.end();
        }
      },
    );
  }

  private async original(a: DeadLetterAdvisory): Promise<StoredMsg | null> {
    try {
      return await this.jsm!.streams.getMessage(a.stream, { seq: a.streamSeq });
    } catch (err) {
      if (isGone(err)) return null;
      throw err;
    }
  }

  private async deleteOriginal(a: DeadLetterAdvisory): Promise<void> {
    try {
      await this.jsm!.streams.deleteMessage(a.stream, a.streamSeq, false);
    } catch (err) {
      if (!isGone(err)) throw err;
    }
  }

  private async retentionOf(stream: string): Promise<string> {
    let r = this.retention.get(stream);
    if (!r) {
      r = (await this.jsm!.streams.info(stream)).config.retention;
      this.retention.set(stream, r);
    }
    return r;
  }
}

function isGone(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.NoMessageFound || err.code === JetStreamApiCodes.StreamNotFound || /no message found/i.test(err.message))
  );
}

/** Header values cannot carry line breaks. */
function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').slice(0, 2048);
}
