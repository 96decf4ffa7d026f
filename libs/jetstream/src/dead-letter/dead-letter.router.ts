import type { Topology } from '#contracts';
import type { ConsumerMessages, JetStreamManager, JsMsg, StoredMsg } from '@nats-io/jetstream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import type { AdvisoryRejectionCheck } from '#telemetry';
import { isNotFound } from '../errors/jetstream-api.errors.js';
import { StreamFullError } from '../errors/publish.errors.js';
import { HEADERS, headerEntries, type HeaderEntries } from '../headers/message-headers.js';
import type { JetStreamPublisher } from '../publisher/jetstream.publisher.js';
import { retryDelayFor } from '../delivery/retry-schedule.js';
import { originalSubject } from '../redelivery/redelivery-subject.js';
import { settleQuietly } from '../delivery/settle-quietly.js';
import { corroborate, type AdvisoryEvidence, type ConsumerState } from './advisory-corroboration.js';
import { DLQ_ADVISORY_STREAM, DLQ_REJECTED_STREAM, DLQ_REJECTED_SUBJECT, DLQ_ROUTER_DURABLE } from './dead-letter.constants.js';
import { checkAdvisory, type DeadLetterAdvisory } from './dead-letter.advisory.js';
import type { DeadLetterFacts } from './dead-letter.record.js';
import type { DeadLetterSink } from './dead-letter.sink.js';
import { advisorySources, type AdvisorySources } from './dead-letter.topology.js';
import { describeFailure } from './failure-reason.js';
import type { KvFailureRecorder } from './failure.recorder.js';
import { encodeRejection, type RejectionFacts } from './rejected-advisory.record.js';
import { whileUnavailable } from '../connection/while-unavailable.js';

const REATTACH_MS = 2_000;

/** What the router looked up about an advisory, kept for building the record. */
interface Gathered extends AdvisoryEvidence {
  stored: StoredMsg | null;
}

/**
 * Turns max-deliveries and terminated advisories into DLQ records. Runs in
 * every consumer pod on one shared durable, so each advisory is routed once;
 * the record's msgID `<stream>:<seq>:<consumer>` makes a retried route after a
 * crash a duplicate, not a second record. The advisory is acked only after
 * the DLQ PubAck.
 *
 * Nothing on the bus is taken on trust: an advisory is routed only when it is
 * well-formed, its subject agrees with its body, it names a declared consumer
 * (or a stream of DLQ_EXTRA_STREAMS) and the server's consumer state and the
 * transport's failure records corroborate it. Anything else is stored in
 * DLQ_REJECTED with the reason, counted, and acked: never naked in a loop.
 * Failures worth retrying (DLQ full, outage) nak with the router durable's
 * delays up to its max_deliver; an advisory still failing then stays parked
 * in DLQ_ADVISORIES (a work queue keeps what hit max deliveries).
 */
export class DeadLetterRouter {
  private readonly logger = new Logger('DeadLetterRouter');
  private readonly sources: AdvisorySources;
  private readonly retryDelaysMs: number[];
  private maxDeliver = -1;
  private messages?: ConsumerMessages;
  private readonly stopping = new AbortController();
  private loop?: Promise<void>;

  /** `publisher` (rejected advisories) records no ingress metrics; `rejected` counts a refused advisory by the check that refused it. */
  constructor(
    private readonly jsm: JetStreamManager,
    private readonly publisher: JetStreamPublisher,
    private readonly failures: KvFailureRecorder,
    topology: Topology,
    private readonly sink: DeadLetterSink,
    private readonly rejected?: (check: AdvisoryRejectionCheck) => void,
    private readonly concurrency = 4,
  ) {
    this.sources = advisorySources(topology);
    const own = topology.consumers.find((c) => c.stream === DLQ_ADVISORY_STREAM && c.durable === DLQ_ROUTER_DURABLE);
    this.retryDelaysMs = own?.retryDelaysMs ?? [1_000];
  }

  async start(): Promise<void> {
    // At boot a missing durable is an error (provision first), an unavailable broker is waited out; later the router re-attaches on its own.
    await whileUnavailable(() => this.attach(), this.logger, 'dlq-router.attach-retry');
    this.loop = this.keepRouting();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.messages?.stop();
    await this.loop;
  }

  private async attach(): Promise<void> {
    const consumer = await this.jsm.jetstream().consumers.get(DLQ_ADVISORY_STREAM, DLQ_ROUTER_DURABLE);
    // The server's setting, not the declaration: it decides when redelivery stops.
    this.maxDeliver = (await consumer.info(true)).config.max_deliver ?? -1;
    if (this.maxDeliver < 1) this.logger.warn({ event: 'dlq-router.unbounded', hint: `${DLQ_ROUTER_DURABLE} has no max_deliver; run provision` });
    const messages = await consumer.consume({ max_messages: this.concurrency * 2 });
    this.messages = messages;
    // stop() while this attach waited stopped only the consume before it: this one would pull advisories nobody acks.
    if (this.stopping.signal.aborted) return void messages.stop();
    void this.endWhenDeleted(messages);
    this.logger.log({ event: 'dlq-router.started', stream: DLQ_ADVISORY_STREAM, consumer: DLQ_ROUTER_DURABLE, maxDeliver: this.maxDeliver });
  }

  /** nats.js would only notice a recreated durable after two missed heartbeats (about 30 s); re-attaching is quicker. */
  private async endWhenDeleted(messages: ConsumerMessages): Promise<void> {
    for await (const s of messages.status()) {
      if (s.type === 'consumer_deleted') messages.stop();
    }
  }

  /**
   * Routes until stopped. A deleted durable ends the current consume();
   * recreating it is how parked advisories are routed again, so the router
   * attaches anew (retrying until it exists) instead of waiting for a restart.
   */
  private async keepRouting(): Promise<void> {
    const { signal } = this.stopping;
    while (!signal.aborted) {
      await this.run(this.messages!);
      if (signal.aborted) return;
      this.logger.warn({ event: 'dlq-router.detached', hint: `${DLQ_ROUTER_DURABLE} went away; attaching again` });
      while (!signal.aborted) {
        await sleep(REATTACH_MS, undefined, { signal }).catch(() => undefined);
        if (signal.aborted) return;
        try {
          await this.attach();
          break;
        } catch (err) {
          this.logger.warn({ event: 'dlq-router.attach-failed', error: String(err) });
        }
      }
    }
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
    const verdict = checkAdvisory(m.subject, m.data, this.sources);
    if (!verdict.ok) return this.reject(m, verdict.check, verdict.reason);
    const { advisory, declared } = verdict;
    const { stream, streamSequence, consumer } = advisory;
    try {
      const gathered = await this.gather(advisory);
      const corroboration = corroborate(advisory, declared, gathered);
      if (!corroboration.ok) return await this.reject(m, 'uncorroborated', corroboration.reason);
      const { dlqSeq, stored, noted, lastFailureAt } = await this.deadLetter(advisory, gathered);
      // The failure record corroborates a redelivered advisory, so it goes only once the ack is certain.
      if (!(await ackConfirmed(m))) return;
      await this.failures.forget(stream, streamSequence, consumer).catch(() => undefined);
      const latencyMs = lastFailureAt ? Date.now() - Date.parse(lastFailureAt) : null;
      // `stored: false`: the transport (or the sweep) had stored the record already; `noted`: the failure record said so, nothing was published.
      this.logger.log({ event: 'dlq.routed', ...advisory, dlqSeq, stored, noted, latencyMs });
    } catch (err) {
      this.retry(m, err);
    }
  }

  /** Everything that could back the advisory's claim, looked up at once. */
  private async gather(a: DeadLetterAdvisory): Promise<Gathered> {
    const [consumer, stored, failure] = await Promise.all([
      this.consumerState(a),
      this.original(a),
      this.failures.lastFailure(a.stream, a.streamSequence, a.consumer),
    ]);
    return { consumer, stored, storedSubject: stored?.subject ?? null, failure };
  }

  /**
   * Copies the original (or the copy taken before term()) into the DLQ, unless
   * the failure record says it is there already; removes a max-delivered
   * original from a work queue either way (the router is the one place that
   * deletes originals: the transport settles, it never deletes).
   */
  private async deadLetter(a: DeadLetterAdvisory, g: Gathered): Promise<{ dlqSeq: number; stored: boolean; noted: boolean; lastFailureAt: string | undefined }> {
    const { stored, failure } = g;
    if (failure?.dlqSeq !== undefined) {
      // Republishing would be a duplicate only within the DLQ's duplicate window; an advisory can wait longer than that.
      if (await this.removesOriginal(a, stored)) await this.deleteOriginal(a);
      return { dlqSeq: failure.dlqSeq, stored: false, noted: true, lastFailureAt: failure.lastFailureAt };
    }
    const copy = failure?.original;
    const data = stored?.data ?? copy?.data ?? new Uint8Array();
    const originalHeaders: HeaderEntries = stored ? headerEntries(stored.header) : (copy?.headers ?? []);
    const { reason, errorName } = describeFailure(a, failure);
    const missing = !stored && !copy;
    const facts: DeadLetterFacts = {
      kind: a.kind,
      // A copy's record names the topic subject it was published for, so it reads, and replays, like the original's.
      subject: stored ? originalSubject(stored.subject) : (failure?.subject ?? ''),
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
    // A duplicate: the transport stored it but could not note so in the failure record.
    const ack = await this.sink.write('router', facts, data, originalHeaders);
    if (await this.removesOriginal(a, stored)) await this.deleteOriginal(a);
    return { dlqSeq: ack.seq, stored: !ack.duplicate, noted: false, lastFailureAt: failure?.lastFailureAt };
  }

  /**
   * A work queue keeps a message that hit max deliveries until it is deleted;
   * so does an interest stream, where deleting is safe only if no other
   * consumer still wants it. A terminated message is settled already: the
   * server drops it when no interest remains, so the router never deletes it.
   */
  private async removesOriginal(a: DeadLetterAdvisory, stored: StoredMsg | null): Promise<boolean> {
    if (a.kind !== 'max_deliveries' || !stored) return false;
    const { config, state } = await this.jsm.streams.info(a.stream);
    return config.retention === 'workqueue' || (config.retention === 'interest' && state.consumer_count === 1);
  }

  private async consumerState(a: DeadLetterAdvisory): Promise<ConsumerState | null> {
    try {
      const { config, delivered } = await this.jsm.consumers.info(a.stream, a.consumer);
      const filters = config.filter_subjects?.length ? config.filter_subjects : config.filter_subject ? [config.filter_subject] : [];
      return { deliveredStreamSeq: delivered.stream_seq, maxDeliver: config.max_deliver ?? -1, filterSubjects: filters };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
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

  /**
   * Stores the advisory as it arrived, with the reason, in DLQ_REJECTED and
   * acks it. With DLQ_REJECTED full, junk must not hold up real advisories:
   * the error log line (with the advisory) is then its only record.
   */
  private async reject(m: JsMsg, check: AdvisoryRejectionCheck, reason: string): Promise<void> {
    const facts: RejectionFacts = { check, reason, advisorySubject: m.subject, advisorySequence: m.seq, rejectedAt: new Date().toISOString() };
    const { data, headers } = encodeRejection(facts, m.data);
    try {
      await this.publisher.publish(DLQ_REJECTED_SUBJECT, data, { msgId: `rejected:${m.seq}`, headers, expectStream: DLQ_REJECTED_STREAM });
      this.logger.warn({ event: 'dlq-router.rejected', ...facts });
    } catch (err) {
      if (!(err instanceof StreamFullError)) return this.retry(m, err);
      this.logger.error({ event: 'dlq-router.rejected-not-stored', ...facts, advisory: new TextDecoder().decode(data.subarray(0, 4096)), error: err.message });
    }
    this.rejected?.(check);
    settleQuietly(() => m.ack(), this.logger);
  }

  /** Naks with the router's delay for this attempt; the last allowed attempt parks the advisory instead. */
  private retry(m: JsMsg, err: unknown): void {
    const attempt = m.info.deliveryCount;
    const facts = { seq: m.seq, subject: m.subject, attempt, maxDeliver: this.maxDeliver, error: String(err) };
    if (this.maxDeliver > 0 && attempt >= this.maxDeliver) {
      this.logger.error({ event: 'dlq-router.parked', ...facts, hint: `left in ${DLQ_ADVISORY_STREAM}; recreate ${DLQ_ROUTER_DURABLE} to route it again` });
      settleQuietly(() => m.nak(), this.logger);
      return;
    }
    this.logger.warn({ event: err instanceof StreamFullError ? 'dlq-router.dlq-full' : 'dlq-router.retry', ...facts });
    settleQuietly(() => m.nak(retryDelayFor(this.retryDelaysMs, attempt)), this.logger);
  }
}

/** Acks and waits for the server to confirm; false when it did not (the advisory will come again). */
async function ackConfirmed(m: JsMsg): Promise<boolean> {
  try {
    return await m.ackAck();
  } catch {
    return false;
  }
}
