import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Context } from '@opentelemetry/api';
import { ExponentialBackoff, type IBackoff } from 'cockatiel';
import { injectTraceContext, tracePublish, type TopicMetrics } from '#telemetry';
import { PublishRejectedError, PublishTimeoutError, StreamFullError } from '../errors/publish.errors.js';
import { HEADERS, toMsgHdrs, type HeaderEntries } from '../headers/message-headers.js';
import { isBrokerUnavailable, isStreamFull } from '../errors/jetstream-api.errors.js';
import { PubAckInbox, type StoredAck } from './pub-ack.inbox.js';

export interface PublisherOptions {
  /** Whole-publish deadline including retries. */
  deadlineMs: number;
  /** Longest a single attempt waits for its PubAck. */
  attemptTimeoutMs: number;
  /** First retry delay; later ones grow exponentially with decorrelated jitter. */
  retryInitialDelayMs: number;
  retryMaxDelayMs: number;
  /**
   * Count publishes in nestjet_published_messages_total, into the metrics the constructor is given; off for
   * publishers that are not the ingress (the DLQ router).
   */
  recordMetrics: boolean;
}

export const DEFAULT_PUBLISHER_OPTIONS: PublisherOptions = {
  deadlineMs: 5_000,
  attemptTimeoutMs: 2_000,
  retryInitialDelayMs: 50,
  retryMaxDelayMs: 1_000,
  recordMetrics: true,
};

export interface PublishOptions {
  /** Becomes `Nats-Msg-Id`; generated when absent. The same on every retry. */
  msgId?: string;
  /** Pairs keep repeated header values. */
  headers?: Record<string, string> | HeaderEntries;
  /** Refuse to store unless the subject belongs to this stream. */
  expectStream?: string;
  deadlineMs?: number;
  /** Metric label; defaults to the subject's first two tokens (the topic). */
  topic?: string;
  /** Parent of the publish span (an HTTP request's); defaults to the active context. */
  trace?: Context;
}

export interface PublishResult {
  id: string;
  stream: string;
  seq: number;
  duplicate: boolean;
}

/**
 * Publishes to JetStream and resolves only on a PubAck. Transient failures are
 * retried with backoff and jitter inside one deadline, always with the same
 * msgID, so the server's duplicate window turns a retry of a stored message
 * into `duplicate: true` instead of a second copy.
 */
export class JetStreamPublisher {
  private readonly inbox: PubAckInbox;
  private readonly options: PublisherOptions;
  private readonly backoff: ExponentialBackoff<unknown>;
  /** Set only when publishes are counted, so the hot path asks one question. */
  private readonly metricsOf?: (topic: string) => TopicMetrics;

  /**
   * `metricsOf` hands out a topic's metrics, bound once (NestjetMetrics.topic of the app's instance, see
   * JetStreamModule). Without it nothing is counted: a publisher built outside an app (a CLI, a test) has no
   * /metrics to feed.
   */
  constructor(nc: NatsConnection, options: Partial<PublisherOptions> = {}, metricsOf?: (topic: string) => TopicMetrics) {
    this.inbox = new PubAckInbox(nc);
    this.options = { ...DEFAULT_PUBLISHER_OPTIONS, ...options };
    this.metricsOf = this.options.recordMetrics ? metricsOf : undefined;
    this.backoff = new ExponentialBackoff({ initialDelay: this.options.retryInitialDelayMs, maxDelay: this.options.retryMaxDelayMs });
  }

  /** Publishes inside a PRODUCER span `publish <subject>` whose context travels in the message headers. */
  publish(subject: string, data: Uint8Array | string, opts: PublishOptions = {}): Promise<PublishResult> {
    const id = opts.msgId ?? randomUUID();
    const bodySize = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    return tracePublish({ subject, msgId: id, bodySize, parent: opts.trace }, (ctx) =>
      this.metricsOf
        ? this.measured(this.metricsOf(opts.topic ?? subject.split('.').slice(0, 2).join('.')), () => this.publishWithRetries(subject, data, id, opts, ctx))
        : this.publishWithRetries(subject, data, id, opts, ctx),
    );
  }

  private async measured(metrics: TopicMetrics, publish: () => Promise<PublishResult>): Promise<PublishResult> {
    const started = performance.now();
    try {
      const result = await publish();
      metrics.published[result.duplicate ? 'duplicate' : 'stored'].inc();
      return result;
    } catch (err) {
      metrics.published[err instanceof PublishTimeoutError ? 'timeout' : err instanceof StreamFullError ? 'full' : 'rejected'].inc();
      throw err;
    } finally {
      metrics.publishDuration.observe((performance.now() - started) / 1000);
    }
  }

  /**
   * Attempts until a PubAck or the deadline, backing off between attempts
   * that found the broker unavailable. The first attempt runs without any
   * policy object: it is nearly every publish.
   */
  private async publishWithRetries(subject: string, data: Uint8Array | string, id: string, opts: PublishOptions, trace: Context): Promise<PublishResult> {
    const deadlineMs = opts.deadlineMs ?? this.options.deadlineMs;
    const started = Date.now();
    const deadline = performance.now() + deadlineMs;
    const h = toMsgHdrs(Array.isArray(opts.headers) ? opts.headers : Object.entries(opts.headers ?? {}));
    if (!h.has(HEADERS.publishedAt)) h.set(HEADERS.publishedAt, String(started));
    injectTraceContext(h, trace);

    let backoff: IBackoff<unknown> | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        const timeoutMs = Math.max(1, Math.min(this.options.attemptTimeoutMs, deadline - performance.now()));
        const ack = await this.inbox.publish(subject, data, h, timeoutMs, id, opts.expectStream);
        return { id, stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate };
      } catch (err) {
        if (isStreamFull(err)) throw new StreamFullError(subject, opts.expectStream, (err as Error).message, { cause: err });
        if (!isBrokerUnavailable(err)) throw new PublishRejectedError(`JetStream refused message ${id}: ${(err as Error).message}`, { cause: err });
        backoff = backoff ? backoff.next({ attempt, result: { error: err } }) : this.backoff.next();
        const pause = Math.min(backoff.duration, deadline - performance.now());
        if (pause > 0) await sleep(pause);
        if (performance.now() >= deadline) throw new PublishTimeoutError(id, deadlineMs, { cause: err });
      }
    }
  }
}
