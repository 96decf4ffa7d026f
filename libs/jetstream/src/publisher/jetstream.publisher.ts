import { randomUUID } from 'node:crypto';
import { jetstream, type JetStreamClient, type PubAck } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  ExponentialBackoff,
  handleWhen,
  retry,
  TaskCancelledError,
  timeout,
  TimeoutStrategy,
  wrap,
} from 'cockatiel';
import { injectTraceContext, nestjetMetrics, tracePublish } from '#telemetry';
import { PublishRejectedError, PublishTimeoutError, StreamFullError } from '../errors/publish.errors.js';
import { HEADERS, toMsgHdrs, type HeaderEntries } from '../headers/message-headers.js';
import { isBrokerUnavailable, isStreamFull } from '../errors/jetstream-api.errors.js';

export interface PublisherOptions {
  /** Whole-publish deadline including retries. */
  deadlineMs: number;
  /** Longest a single attempt waits for its PubAck. */
  attemptTimeoutMs: number;
  /** First retry delay; later ones grow exponentially with decorrelated jitter. */
  retryInitialDelayMs: number;
  retryMaxDelayMs: number;
  /** Count publishes in nestjet_published_messages_total; off for publishers that are not the ingress (the DLQ router). */
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
  private readonly js: JetStreamClient;
  private readonly options: PublisherOptions;

  constructor(nc: NatsConnection, options: Partial<PublisherOptions> = {}) {
    this.js = jetstream(nc);
    this.options = { ...DEFAULT_PUBLISHER_OPTIONS, ...options };
  }

  /** Publishes inside a PRODUCER span `publish <subject>` whose context travels in the message headers. */
  publish(subject: string, data: Uint8Array | string, opts: PublishOptions = {}): Promise<PublishResult> {
    const id = opts.msgId ?? randomUUID();
    const bodySize = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    return tracePublish({ subject, msgId: id, bodySize }, () => this.measured(subject, opts.topic, () => this.publishWithRetries(subject, data, id, opts)));
  }

  private async measured(subject: string, label: string | undefined, publish: () => Promise<PublishResult>): Promise<PublishResult> {
    if (!this.options.recordMetrics) return publish();
    const topic = label ?? subject.split('.').slice(0, 2).join('.');
    const started = performance.now();
    try {
      const result = await publish();
      nestjetMetrics.published.inc({ topic, result: result.duplicate ? 'duplicate' : 'stored' });
      return result;
    } catch (err) {
      const result = err instanceof PublishTimeoutError ? 'timeout' : err instanceof StreamFullError ? 'full' : 'rejected';
      nestjetMetrics.published.inc({ topic, result });
      throw err;
    } finally {
      nestjetMetrics.publishDuration.observe({ topic }, (performance.now() - started) / 1000);
    }
  }

  private async publishWithRetries(subject: string, data: Uint8Array | string, id: string, opts: PublishOptions): Promise<PublishResult> {
    const deadlineMs = opts.deadlineMs ?? this.options.deadlineMs;
    const started = Date.now();
    const h = toMsgHdrs(Array.isArray(opts.headers) ? opts.headers : Object.entries(opts.headers ?? {}));
    if (!h.has(HEADERS.publishedAt)) h.set(HEADERS.publishedAt, String(started));
    injectTraceContext(h);

    const policy = this.policyFor(deadlineMs);
    let ack: PubAck;
    try {
      ack = await policy.execute(({ signal }) => {
        if (signal.aborted) throw new TaskCancelledError();
        const remaining = deadlineMs - (Date.now() - started);
        return this.js.publish(subject, data, {
          msgID: id,
          headers: h,
          timeout: Math.max(1, Math.min(this.options.attemptTimeoutMs, remaining)),
          ...(opts.expectStream ? { expect: { streamName: opts.expectStream } } : {}),
        });
      });
    } catch (err) {
      if (err instanceof TaskCancelledError || isBrokerUnavailable(err)) {
        throw new PublishTimeoutError(id, deadlineMs, { cause: err });
      }
      if (isStreamFull(err)) throw new StreamFullError(subject, opts.expectStream, (err as Error).message, { cause: err });
      throw new PublishRejectedError(`JetStream refused message ${id}: ${(err as Error).message}`, { cause: err });
    }
    return { id, stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate };
  }

  private readonly policies = new Map<number, ReturnType<JetStreamPublisher['buildPolicy']>>();

  /** Policies are stateless between executions, so one per deadline is reused. */
  private policyFor(deadlineMs: number) {
    let policy = this.policies.get(deadlineMs);
    if (!policy) {
      policy = this.buildPolicy(deadlineMs);
      if (this.policies.size < 16) this.policies.set(deadlineMs, policy);
    }
    return policy;
  }

  private buildPolicy(deadlineMs: number) {
    return wrap(
      // abortOnReturn off: aborting a finished attempt's signal builds a DOMException per publish.
      timeout(deadlineMs, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false }),
      retry(handleWhen(isBrokerUnavailable), {
        maxAttempts: Number.MAX_SAFE_INTEGER,
        backoff: new ExponentialBackoff({
          initialDelay: this.options.retryInitialDelayMs,
          maxDelay: this.options.retryMaxDelayMs,
        }),
      }),
    );
  }
}
