import { jetstream, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { Logger } from '@nestjs/common';
import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import { connectNats, type NatsConnectionSettings } from '../connection/nats-connection.js';
import { NonRetryableError, PayloadValidationError } from '../errors/non-retryable.error.js';
import { REPLAY_HEADERS } from '#contracts';
import {
  extractTraceContext,
  MESSAGING,
  nestjetMetrics,
  ORIGINAL_TRACEPARENT_HEADER,
  parseTraceparent,
  recordFailure,
  tracer,
} from '#telemetry';
import { context, SpanKind, trace, type Link, type Span } from '@opentelemetry/api';
import { HEADERS, JETSTREAM_TRANSPORT } from '../jetstream.constants.js';
import { HandlerRoutes } from './handler-routes.js';
import { JetStreamContext } from './jetstream.context.js';
import type { MessageFailureHook } from './message-failure.hook.js';
import { retryDelayFor } from './retry-schedule.js';
import { SettleCoalescer } from './settle-coalescer.js';

export interface ConsumerBinding {
  stream: string;
  durable: string;
  maxDeliver: number;
  retryDelaysMs: number[];
  /** Handlers running at once in this process for this consumer. */
  concurrency: number;
  /** Messages pulled ahead of the handlers; bounded so a stopping pod holds little. */
  prefetch: number;
}

export interface JetStreamTransportOptions {
  connection: NatsConnectionSettings;
  /** Connection name shown in `nats server report connections`. */
  name: string;
  bindings: ConsumerBinding[];
  /** Longest wait for in-flight handlers on shutdown before the connection drains anyway. */
  shutdownTimeoutMs: number;
  failureHook?: MessageFailureHook;
}

export type Outcome = 'ack' | 'nak' | 'term';

const MAX_REASON = 1024;

/**
 * Nest transport for durable JetStream pull consumers: handlers are plain
 * `@EventPattern()` methods. Success acks; an error naks with the consumer's
 * retry delay for that attempt; a `NonRetryableError` terminates at once.
 */
export class JetStreamPullTransport extends Server implements CustomTransportStrategy {
  override readonly transportId = JETSTREAM_TRANSPORT;
  protected override readonly logger = new Logger('JetStreamPullTransport');
  private readonly routes = new HandlerRoutes<MessageHandler>();
  private readonly settle = new SettleCoalescer();
  private readonly running: { messages: ConsumerMessages; loop: Promise<void> }[] = [];
  private nc?: NatsConnection;

  constructor(private readonly options: JetStreamTransportOptions) {
    super();
  }

  /**
   * Nest chains event handlers that share a pattern, so one message would run
   * every consumer's handler; routing by consumer and pattern replaces that.
   */
  override addHandler(
    pattern: unknown,
    callback: MessageHandler,
    isEventHandler = false,
    extras: Record<string, unknown> = {},
  ): void {
    callback.isEventHandler = isEventHandler;
    callback.extras = extras;
    const consumer = typeof extras.consumer === 'string' ? extras.consumer : undefined;
    this.routes.add(consumer, this.normalizePattern(pattern as string), callback);
  }

  async listen(callback: (err?: unknown) => void): Promise<void> {
    try {
      const unknown = this.routes.consumers().filter((c) => !this.options.bindings.some((b) => b.durable === c));
      if (unknown.length > 0) {
        this.logger.warn(`handlers name consumers this process does not bind: ${unknown.join(', ')}`);
      }
      this.nc = await connectNats(this.options.connection, this.options.name, this.logger);
      const js = jetstream(this.nc);
      for (const binding of this.options.bindings) {
        const consumer = await js.consumers.get(binding.stream, binding.durable);
        const messages = await consumer.consume({ max_messages: binding.prefetch });
        void this.watchStatus(binding, messages);
        this.running.push({ messages, loop: this.run(binding, messages) });
        nestjetMetrics.bound.inc({ consumer: binding.durable });
        this.logger.log({ event: 'consumer.bound', stream: binding.stream, consumer: binding.durable, concurrency: binding.concurrency });
      }
      callback();
    } catch (err) {
      callback(err);
    }
  }

  /** Bounded concurrency: the loop pulls the next message only while a slot is free. */
  private async run(binding: ConsumerBinding, messages: ConsumerMessages): Promise<void> {
    const inflight = new Set<Promise<unknown>>();
    for await (const msg of messages) {
      const task: Promise<unknown> = this.handle(binding, msg).finally(() => inflight.delete(task));
      inflight.add(task);
      if (inflight.size >= binding.concurrency) await Promise.race(inflight);
    }
    await Promise.all(inflight);
  }

  private async handle(binding: ConsumerBinding, msg: JsMsg): Promise<Outcome | 'skip'> {
    // A DLQ replay is meant for the consumer that failed it; the others saw it already.
    const replayFor = msg.headers?.get(REPLAY_HEADERS.replayFor);
    if (replayFor && replayFor !== binding.durable) {
      this.settle.add(() => msg.ack());
      nestjetMetrics.processed.inc({ consumer: binding.durable, outcome: 'skip' });
      return 'skip';
    }
    const parent = extractTraceContext(msg.headers);
    const links: Link[] = [];
    const producer = trace.getSpanContext(parent);
    if (producer && trace.isSpanContextValid(producer)) links.push({ context: producer });
    const original = parseTraceparent(msg.headers?.get(ORIGINAL_TRACEPARENT_HEADER));
    if (original) links.push({ context: original, attributes: { 'nestjet.link': 'replay-of' } });
    const span = tracer().startSpan(
      `process ${msg.subject}`,
      {
        kind: SpanKind.CONSUMER,
        links,
        attributes: {
          [MESSAGING.system]: 'nats',
          [MESSAGING.operationType]: 'process',
          [MESSAGING.operationName]: 'process',
          [MESSAGING.destination]: msg.subject,
          [MESSAGING.consumerGroup]: binding.durable,
          [MESSAGING.stream]: msg.info.stream,
          [MESSAGING.sequence]: msg.info.streamSequence,
          [MESSAGING.deliveryCount]: msg.info.deliveryCount,
          [MESSAGING.messageId]: msg.headers?.get(HEADERS.msgId) ?? '',
          [MESSAGING.bodySize]: msg.data.byteLength,
        },
      },
      parent,
    );
    const outcome = await context.with(trace.setSpan(parent, span), () => this.process(binding, msg, span));
    span.setAttribute('nestjet.outcome', outcome);
    span.end();
    nestjetMetrics.processed.inc({ consumer: binding.durable, outcome });
    return outcome;
  }

  private async process(binding: ConsumerBinding, msg: JsMsg, span: Span): Promise<Outcome> {
    const route = this.routes.find(binding.durable, msg.subject);
    const publishedAt = Number(msg.headers?.get(HEADERS.publishedAt));
    if (msg.info.deliveryCount === 1 && publishedAt > 0) {
      nestjetMetrics.endToEnd.observe({ consumer: binding.durable }, Math.max(0, Date.now() - publishedAt) / 1000);
    }
    const started = performance.now();
    try {
      if (!route) throw new NonRetryableError(`no handler for subject ${msg.subject} on consumer ${binding.durable}`);
      let payload: unknown;
      try {
        payload = msg.json();
      } catch {
        throw new PayloadValidationError('payload is not valid JSON');
      }
      const ctx = new JetStreamContext([msg, binding.durable]);
      const result: unknown = await route.handler(payload, ctx);
      // Most handlers return a value or a promise; only pay for rxjs when they return a stream.
      if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
      this.settle.add(() => msg.ack());
      return 'ack';
    } catch (err) {
      recordFailure(span, err);
      return this.settleFailure(binding, msg, route?.pattern ?? '', err);
    } finally {
      nestjetMetrics.handlerDuration.observe({ consumer: binding.durable }, (performance.now() - started) / 1000);
    }
  }

  private async settleFailure(binding: ConsumerBinding, msg: JsMsg, handler: string, err: unknown): Promise<Outcome> {
    const error = err instanceof Error ? err : new Error(String(err));
    const attempt = msg.info.deliveryCount;
    const terminated = error instanceof NonRetryableError;
    const final = terminated || attempt >= binding.maxDeliver;
    const failure = {
      stream: msg.info.stream,
      consumer: binding.durable,
      subject: msg.subject,
      streamSequence: msg.info.streamSequence,
      deliveryCount: attempt,
      maxDeliver: binding.maxDeliver,
      errorName: error.name,
      errorMessage: error.message,
      handler,
      final,
      terminated,
      at: new Date(),
    };
    this.logger.warn({ event: 'message.failed', ...failure });
    if (this.options.failureHook) {
      try {
        const original = terminated ? { data: msg.data, headers: headerEntries(msg) } : undefined;
        await this.options.failureHook.onFailure({ ...failure, original });
      } catch (hookErr) {
        this.logger.error({ event: 'failure-hook.error', error: String(hookErr), stream: failure.stream, seq: failure.streamSequence });
      }
    }
    if (terminated) {
      const reason = `${error.name}: ${error.message}`.slice(0, MAX_REASON);
      this.settle.add(() => msg.term(reason));
      return 'term';
    }
    // No redelivery follows the last attempt: nak without delay so the max-deliveries advisory comes at once.
    const delay = final ? 0 : retryDelayFor(binding.retryDelaysMs, attempt);
    this.settle.add(() => msg.nak(delay));
    return 'nak';
  }

  private async watchStatus(binding: ConsumerBinding, messages: ConsumerMessages): Promise<void> {
    for await (const s of messages.status()) {
      if (s.type === 'heartbeats_missed' || s.type === 'consumer_deleted' || s.type === 'consumer_not_found') {
        this.logger.warn({ event: `consumer.${s.type}`, consumer: binding.durable, stream: binding.stream });
      }
    }
  }

  /**
   * Graceful stop: no further pulls, messages already pulled are processed and
   * acked, then the connection drains so every ack reaches the server.
   */
  async close(): Promise<void> {
    for (const b of this.options.bindings) nestjetMetrics.bound.set({ consumer: b.durable }, 0);
    for (const r of this.running) r.messages.stop();
    const loops = Promise.all(this.running.map((r) => r.loop));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.options.shutdownTimeoutMs);
    });
    const outcome = await Promise.race([loops.then(() => 'done' as const), timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.logger.warn(`in-flight handlers still running after ${this.options.shutdownTimeoutMs} ms; draining anyway`);
    }
    this.settle.flush();
    if (this.nc && !this.nc.isClosed()) await this.nc.drain();
    this.running.length = 0;
    this.logger.log({ event: 'consumer.stopped', outcome });
  }

  on(): never {
    throw new Error('JetStreamPullTransport has no events to subscribe to; use the connection status instead');
  }

  unwrap<T>(): T {
    if (!this.nc) throw new Error('JetStreamPullTransport is not listening yet');
    return this.nc as T;
  }
}

function headerEntries(msg: JsMsg): [string, string][] {
  const h = msg.headers;
  if (!h) return [];
  return h.keys().flatMap((k) => h.values(k).map((v): [string, string] => [k, v]));
}
