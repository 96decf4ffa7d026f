import type { ConsumerMessages, JetStreamManager, JsMsg, StoredMsg } from '@nats-io/jetstream';
import { Logger } from '@nestjs/common';
import { nestjetMetrics, traceDeadLetter } from '#telemetry';
import { isNotFound } from '../errors/jetstream-api.errors.js';
import { HEADERS, headerEntries, toMsgHdrs, type HeaderEntries } from '../headers/message-headers.js';
import type { JetStreamPublisher } from '../publisher/jetstream.publisher.js';
import { DLQ_ADVISORY_STREAM, DLQ_ROUTER_DURABLE, DLQ_STREAM, dlqSubject } from './dead-letter.constants.js';
import { parseAdvisory, type DeadLetterAdvisory } from './dead-letter.advisory.js';
import { encodeDeadLetter, type DeadLetterFacts } from './dead-letter.record.js';
import { settleQuietly } from '../transport/settle-quietly.js';
import { describeFailure } from './failure-reason.js';
import type { KvFailureRecorder } from './failure.recorder.js';

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
  private readonly retention = new Map<string, string>();

  /** `publisher` records no ingress metrics: routing has its own counter (nestjet_dead_lettered_messages_total). */
  constructor(
    private readonly jsm: JetStreamManager,
    private readonly publisher: JetStreamPublisher,
    private readonly failures: KvFailureRecorder,
    private readonly concurrency = 4,
  ) {}

  async start(): Promise<void> {
    const consumer = await this.jsm.jetstream().consumers.get(DLQ_ADVISORY_STREAM, DLQ_ROUTER_DURABLE);
    this.messages = await consumer.consume({ max_messages: this.concurrency * 2 });
    this.loop = this.run(this.messages);
    this.logger.log({ event: 'dlq-router.started', stream: DLQ_ADVISORY_STREAM, consumer: DLQ_ROUTER_DURABLE });
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
      settleQuietly(() => m.term(String(err)), this.logger);
      return;
    }
    const { stream, streamSequence, consumer } = advisory;
    try {
      const { dlqSeq, lastFailureAt } = await this.deadLetter(advisory);
      settleQuietly(() => m.ack(), this.logger);
      await this.failures.forget(stream, streamSequence, consumer).catch(() => undefined);
      const latencyMs = lastFailureAt ? Date.now() - Date.parse(lastFailureAt) : null;
      this.logger.log({ event: 'dlq.routed', ...advisory, dlqSeq, latencyMs });
      nestjetMetrics.deadLettered.inc({ stream, consumer, kind: advisory.kind });
    } catch (err) {
      this.logger.warn({ event: 'dlq-router.retry', ...advisory, error: String(err) });
      settleQuietly(() => m.nak(RETRY_DELAY_MS), this.logger);
    }
  }

  /** Copies the original (or what is left of it) into the DLQ. */
  private async deadLetter(a: DeadLetterAdvisory): Promise<{ dlqSeq: number; lastFailureAt: string | undefined }> {
    const failure = await this.failures.lastFailure(a.stream, a.streamSequence, a.consumer);
    const stored = await this.original(a);
    const copy = failure?.original;
    const data = stored?.data ?? copy?.data ?? new Uint8Array();
    const originalHeaders: HeaderEntries = stored ? headerEntries(stored.header) : (copy?.headers ?? []);
    const { reason, errorName } = describeFailure(a, failure);
    const missing = !stored && !copy;
    const facts: DeadLetterFacts = {
      kind: a.kind,
      subject: stored?.subject ?? failure?.subject ?? '',
      stream: a.stream,
      streamSequence: a.streamSequence,
      consumer: a.consumer,
      deliveryCount: a.deliveryCount,
      reason: missing ? `${reason}; original message no longer in stream ${a.stream} (expired, purged or deleted)` : reason,
      errorName,
      handler: failure?.handler ?? '',
      firstFailureAt: failure?.firstFailureAt ?? a.timestamp,
      lastFailureAt: failure?.lastFailureAt ?? a.timestamp,
      routedAt: new Date().toISOString(),
      originalTime: stored?.time.toISOString(),
      originalMsgId: originalHeaders.find(([k]) => k === HEADERS.msgId)?.[1],
      originalMissing: missing,
    };
    const ack = await traceDeadLetter(toMsgHdrs(originalHeaders), a, () =>
      this.publisher.publish(dlqSubject(a.stream, a.consumer), data, {
        msgId: `${a.stream}:${a.streamSequence}:${a.consumer}`,
        headers: encodeDeadLetter(facts, originalHeaders),
        expectStream: DLQ_STREAM,
      }),
    );
    // WorkQueue and Interest streams keep a message that hit max deliveries until it is deleted.
    if (stored && (await this.retentionOf(a.stream)) !== 'limits') await this.deleteOriginal(a);
    return { dlqSeq: ack.seq, lastFailureAt: failure?.lastFailureAt };
  }

  /** The original, or null when it (or its stream) is gone. */
  private async original(a: DeadLetterAdvisory): Promise<StoredMsg | null> {
    try {
      return await this.jsm.streams.getMessage(a.stream, { seq: a.streamSequence });
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  /** A failed delete is fine only when the original is gone by now (another router got there first). */
  private async deleteOriginal(a: DeadLetterAdvisory): Promise<void> {
    try {
      await this.jsm.streams.deleteMessage(a.stream, a.streamSequence, false);
    } catch (err) {
      if ((await this.original(a)) !== null) throw err;
    }
  }

  private async retentionOf(stream: string): Promise<string> {
    let r = this.retention.get(stream);
    if (!r) {
      r = (await this.jsm.streams.info(stream)).config.retention;
      this.retention.set(stream, r);
    }
    return r;
  }
}
