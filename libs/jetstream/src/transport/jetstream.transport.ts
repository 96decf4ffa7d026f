import { jetstream, jetstreamManager, type Consumer, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { Logger } from '@nestjs/common';
import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import { context } from '@opentelemetry/api';
import { isObservable, lastValueFrom } from 'rxjs';
import { consumerMetrics, nestjetMetrics, recordFailure, startProcessSpan, tracingActive } from '#telemetry';
import { connectNats, type NatsConnectionOptions } from '../connection/nats-connection.js';
import { whileUnavailable } from '../connection/while-unavailable.js';
import { REPLAY_HEADERS } from '../dead-letter/dead-letter.constants.js';
import { NonRetryableError } from '../errors/non-retryable.error.js';
import { HEADERS, headerEntries } from '../headers/message-headers.js';
import { JETSTREAM_TRANSPORT } from '../jetstream.constants.js';
import { PresenceAnnouncer } from '../presence/presence.announcer.js';
import { PresenceTracker } from '../presence/presence.tracker.js';
import { PartitionBalancer, partitionedConsumers } from './partition-balancer.js';
import { HandlerRoutes } from './handler-routes.js';
import { ConsumerWorker, type Abandoned } from './consumer-worker.js';
import { JetStreamContext } from './jetstream.context.js';
import type { MessageFailureHook } from './message-failure.hook.js';
import { SettleCoalescer } from './settle-coalescer.js';
import { applySettlement, decideSettlement, isFinal, type Settlement } from './settlement.js';
import type { RetryRescheduler } from '../schedule/retry-rescheduler.js';
import { DEFAULT_IDEMPOTENCY_HORIZON_MS } from '../idempotency/idempotency.constants.js';
import { IdempotencyGuard, type DeliveryMarker } from '../idempotency/idempotency.guard.js';
import type { ProcessedMarkers } from '../idempotency/processed-markers.js';
import { readPayload, versionedHandler } from './payload-reader.js';
import type { TopicDeclaration } from '#contracts';

export interface ConsumerBinding {
  stream: string;
  durable: string;
  /** The name handlers bind to: the durable's, or its partitioned consumer's. */
  consumer: string;
  maxDeliver: number;
  retryDelaysMs: number[];
  /** Handlers running at once in this process for this consumer. */
  concurrency: number;
  /** Messages held beyond the running handlers (queued locally, kept alive); bounded so a stopping pod holds little. */
  prefetch: number;
  /**
   * Longest a running handler's message is kept alive with `working()`; a handler
   * still running then is presumed hung and its message left to the ack wait. 0: never.
   */
  maxKeepAliveMs: number;
  /** A partition's durable: pulls name the priority group, and one worker at a time is pinned. */
  pinned?: { group: string; timeoutMs: number };
}

export interface JetStreamTransportOptions {
  connection: NatsConnectionOptions;
  /** Connection name shown in `nats server report connections`. */
  name: string;
  bindings: ConsumerBinding[];
  /**
   * Longest wait for held messages on shutdown; then what is still held is naked
   * for another process and the connection drains without waiting further.
   */
  shutdownTimeoutMs: number;
  failureHook?: MessageFailureHook;
  /** Turns retries due later than the ack wait into schedules; without it they are naked with their delay. */
  rescheduler?: RetryRescheduler;
  /** Processed-markers for handlers marked `idempotent`; without them those handlers run at least once, like any other. */
  markers?: ProcessedMarkers;
  /** Horizon of `idempotent: true` handlers; default DEFAULT_IDEMPOTENCY_HORIZON_MS. */
  idempotencyHorizonMs?: number;
  /** The declared topics: handlers of versioned topics get older payloads upcast; without them payloads arrive as published. */
  topics?: readonly TopicDeclaration[];
}

export type Outcome = Settlement['kind'];

/** Nanoseconds (the JetStream API's unit) to milliseconds. */
const NANOS_PER_MS = 1_000_000;

/**
 * Nest transport for durable JetStream pull consumers: handlers are plain
 * `@EventPattern()` methods. Success acks; an error naks with the consumer's
 * retry delay for that attempt; a `NonRetryableError` terminates at once.
 */
export class JetStreamPullTransport extends Server implements CustomTransportStrategy {
  override readonly transportId = JETSTREAM_TRANSPORT;
  protected override readonly logger = new Logger('JetStreamPullTransport');
  private readonly routes = new HandlerRoutes<MessageHandler>();
  private readonly settle = new SettleCoalescer(this.logger);
  private readonly workers: ConsumerWorker[] = [];
  /** The server's ack timeout of each bound consumer: retries due later are rescheduled. */
  private readonly ackWaits = new Map<string, number>();
  /** Set when shutdown stopped waiting: handlers finishing later must not settle (their message was naked). */
  private abandoned = false;
  private nc?: NatsConnection;
  private presence?: PresenceAnnouncer;
  private balancer?: PartitionBalancer;

  private readonly idempotency: IdempotencyGuard;

  constructor(private readonly options: JetStreamTransportOptions) {
    super();
    this.idempotency = new IdempotencyGuard(options.markers, options.idempotencyHorizonMs ?? DEFAULT_IDEMPOTENCY_HORIZON_MS, this.logger);
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
    // Checked here so a bad `idempotent`, `version` or `upcast` option stops the start, not a message.
    this.idempotency.check(extras);
    const normalized = this.normalizePattern(pattern as string);
    callback.extras = { ...extras, versioned: versionedHandler(normalized, extras, this.options.topics ?? []) };
    const consumer = typeof extras.consumer === 'string' ? extras.consumer : undefined;
    this.routes.add(consumer, normalized, callback);
  }

  async listen(callback: (err?: unknown) => void): Promise<void> {
    try {
      const unknown = this.routes.consumers().filter((c) => !this.options.bindings.some((b) => b.consumer === c));
      if (unknown.length > 0) {
        // Normal with one deployment per consumer group: the other groups' handlers are in the same app.
        this.logger.log({ event: 'consumers.not-bound', consumers: unknown, hint: 'handlers of consumers this process does not bind (another consumer group runs them, or CONSUMERS leaves them out)' });
      }
      this.nc = await connectNats(this.options.connection, this.options.name, this.logger);
      const partitioned: { binding: ConsumerBinding; worker: ConsumerWorker }[] = [];
      const js = jetstream(this.nc);
      for (const binding of this.options.bindings) {
        const ackWaitMs = await whileUnavailable(
          async () => this.ackWaitOf(await js.consumers.get(binding.stream, binding.durable)),
          this.logger,
          'consumer.bind-retry',
        );
        const { durable, concurrency, prefetch, maxKeepAliveMs, pinned } = binding;
        this.ackWaits.set(durable, ackWaitMs);
        const worker = new ConsumerWorker(
          this.nc,
          { stream: binding.stream, consumer: durable, concurrency, prefetch, ackWaitMs, maxKeepAliveMs, pinned, logger: this.logger },
          (msg) => this.handle(binding, msg),
        );
        this.workers.push(worker);
        if (pinned) partitioned.push({ binding, worker });
        nestjetMetrics.bound.inc({ consumer: binding.durable });
        this.logger.log({
          event: 'consumer.bound',
          stream: binding.stream,
          consumer: binding.durable,
          concurrency: binding.concurrency,
          prefetch: binding.prefetch,
          ackWaitMs,
          keepAlivePeriodMs: worker.keepAlivePeriodMs,
        });
      }
      if (!this.idempotency.enabled && this.routes.handlers().some((h) => this.idempotency.check(h.extras))) {
        this.logger.warn({ event: 'idempotency.disabled', hint: 'handlers marked idempotent run at least once: the transport was given no processed-markers' });
      }
      this.presence = new PresenceAnnouncer(this.nc, this.options.bindings.map((b) => ({ stream: b.stream, durable: b.durable })));
      this.presence.start();
      if (partitioned.length > 0) {
        this.balancer = new PartitionBalancer(await jetstreamManager(this.nc, { checkAPI: false }), new PresenceTracker(this.nc, Date.now, partitioned.map(({ binding }) => ({ stream: binding.stream, durable: binding.durable }))), partitionedConsumers(partitioned), this.logger);
        this.balancer.start();
      }
      callback();
    } catch (err) {
      callback(err);
    }
  }

  /** The server's ack timeout for this consumer: its ack wait, or its shortest backoff step when it has a backoff. */
  private async ackWaitOf(consumer: Consumer): Promise<number> {
    const { config } = await consumer.info(true);
    const waits = [config.ack_wait ?? 30_000 * NANOS_PER_MS, ...(config.backoff ?? [])];
    return Math.min(...waits) / NANOS_PER_MS;
  }

  private async handle(binding: ConsumerBinding, msg: JsMsg): Promise<Outcome | 'skip' | 'abandoned'> {
    // A DLQ replay is meant for the consumer that failed it; the others saw it already. The header is
    // trusted because only the producer and DLQ users may publish topic subjects (see REPLAY_HEADERS).
    const replayFor = msg.headers?.get(REPLAY_HEADERS.replayFor);
    if (replayFor && replayFor !== binding.durable) {
      this.settle.add(() => msg.ack());
      consumerMetrics(binding.durable).processed.skip.inc();
      return 'skip';
    }
    const traced = tracingActive() ? startProcessSpan({
      subject: msg.subject,
      headers: msg.headers,
      stream: msg.info.stream,
      streamSequence: msg.info.streamSequence,
      deliveryCount: msg.info.deliveryCount,
      consumer: binding.durable,
      msgId: msg.headers?.get(HEADERS.msgId) ?? '',
      bodySize: msg.data.byteLength,
      replayOf: msg.headers?.get(REPLAY_HEADERS.originalTraceparent) || undefined,
    }) : undefined;
    // A rescheduled retry (replay-for this consumer) counts on from the attempts on its earlier copies.
    const priorAttempts = replayFor ? priorAttemptsOf(msg) : 0;
    const attempt = priorAttempts + msg.info.deliveryCount;
    const route = this.routes.find(binding.consumer, msg.subject);
    const marker = route ? this.idempotency.markerFor(binding.consumer, msg, route.handler.extras) : undefined;
    const run = async (): Promise<Outcome | 'skip' | 'abandoned'> => {
      if (marker && (await this.idempotency.processedBefore(binding.consumer, msg, marker))) {
        this.settle.add(() => msg.ack());
        return 'skip';
      }
      if (msg.info.deliveryCount > 1) await this.tellHook('onRedelivered', binding, msg);
      const { handler, error } = await this.process(binding, msg, route, attempt, priorAttempts === 0, marker);
      if (error && traced) recordFailure(traced.span, error);
      if (this.abandoned) return this.dropLate(binding, msg, error);
      const { maxDeliver, retryDelaysMs } = binding;
      const rescheduleAfterMs = this.options.rescheduler ? this.ackWaits.get(binding.durable) : undefined;
      let settlement = decideSettlement({ attempt, maxDeliver, retryDelaysMs, priorAttempts, rescheduleAfterMs }, error);
      if (error) await this.reportFailure(binding, msg, handler, error, settlement, attempt);
      if (settlement.kind === 'reschedule') settlement = await this.reschedule(binding, msg, attempt, settlement.delayMs);
      if (this.abandoned) return this.dropLate(binding, msg, error);
      const settled = settlement;
      // An idempotent success is acked with a double ack: the marker covers a lost one, and the outcome is then known.
      if (marker && settled.kind === 'ack') await this.idempotency.ackAck(binding.consumer, msg);
      else this.settle.add(() => applySettlement(msg, settled));
      if (settlement.kind === 'ack' && msg.info.deliveryCount > 1) await this.tellHook('onSucceeded', binding, msg);
      return settlement.kind;
    };
    const outcome = traced ? await context.with(traced.ctx, run) : await run();
    if (traced) {
      traced.span.setAttribute('nestjet.outcome', outcome);
      traced.span.end();
    }
    if (outcome !== 'abandoned') consumerMetrics(binding.durable).processed[outcome].inc();
    return outcome;
  }

  /**
   * A handler that finished after shutdown gave up on it: its message was
   * naked and may already run elsewhere, and the connection may be closed, so
   * neither settle nor record anything.
   */
  private dropLate(binding: ConsumerBinding, msg: JsMsg, error?: Error): 'abandoned' {
    this.logger.warn({
      event: 'message.abandoned',
      consumer: binding.durable,
      streamSequence: msg.info.streamSequence,
      deliveryCount: msg.info.deliveryCount,
      handlerFailed: error !== undefined,
    });
    return 'abandoned';
  }

  /**
   * Stores the copy that carries the retry; the delivery is then acked. If it
   * cannot be stored now, the delivery is naked with the delay after all: it
   * holds an ack slot meanwhile, but the retry is not lost.
   */
  private async reschedule(binding: ConsumerBinding, msg: JsMsg, attempt: number, delayMs: number): Promise<Settlement> {
    const where = { consumer: binding.durable, stream: msg.info.stream, streamSequence: msg.info.streamSequence, attempt, delayMs };
    try {
      const copy = await this.options.rescheduler!.reschedule(msg, binding.durable, attempt, new Date(Date.now() + delayMs));
      this.logger.log({ event: 'message.rescheduled', ...where, scheduleId: copy.scheduleId, deliverAt: copy.deliverAt });
      return { kind: 'reschedule', delayMs };
    } catch (err) {
      this.logger.warn({ event: 'message.reschedule-failed', ...where, error: String(err), hint: 'naked with the delay instead' });
      return { kind: 'nak', delayMs, final: false };
    }
  }

  /**
   * Runs the handler; the error it ended with, if any, and the pattern of the
   * handler that ran. An idempotent handler's marker is written the moment it returns.
   */
  private async process(
    binding: ConsumerBinding,
    msg: JsMsg,
    route: ReturnType<HandlerRoutes<MessageHandler>['find']>,
    attempt: number,
    firstCopy: boolean,
    marker?: DeliveryMarker,
  ): Promise<{ handler: string; error?: Error }> {
    const publishedAt = Number(msg.headers?.get(HEADERS.publishedAt));
    if (firstCopy && msg.info.deliveryCount === 1 && publishedAt > 0) {
      consumerMetrics(binding.durable).endToEnd.observe(Math.max(0, Date.now() - publishedAt) / 1000);
    }
    const started = performance.now();
    try {
      if (!route) throw new NonRetryableError(`no handler for subject ${msg.subject} on consumer ${binding.durable}`);
      const payload = readPayload(msg, route.handler.extras?.versioned as Parameters<typeof readPayload>[1]);
      const result: unknown = await route.handler(payload, new JetStreamContext([msg, binding.consumer, attempt]));
      // Most handlers return a value or a promise; only pay for rxjs when they return a stream.
      if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
      if (marker) await this.idempotency.markProcessed(binding.consumer, msg, marker);
      return { handler: route.pattern };
    } catch (err) {
      return { handler: route?.pattern ?? '', error: err instanceof Error ? err : new Error(String(err)) };
    } finally {
      consumerMetrics(binding.durable).handlerDuration.observe((performance.now() - started) / 1000);
    }
  }

  /** Logs the failure and hands it to the failure hook before the message is settled. */
  private async reportFailure(binding: ConsumerBinding, msg: JsMsg, handler: string, error: Error, settlement: Settlement, attempt: number): Promise<void> {
    const terminated = settlement.kind === 'term';
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
      final: isFinal(settlement),
      terminated,
      at: new Date(),
    };
    this.logger.warn({ event: 'message.failed', ...failure });
    if (!this.options.failureHook) return;
    try {
      // A final failure carries the message, so the hook can dead-letter it before it is settled.
      const original = failure.final ? { data: msg.data, headers: headerEntries(msg.headers), storedAt: msg.time } : undefined;
      await this.options.failureHook.onFailure({ ...failure, original });
    } catch (hookErr) {
      this.logger.error({ event: 'failure-hook.error', error: String(hookErr), stream: failure.stream, streamSequence: failure.streamSequence });
    }
  }

  /** The hook's optional delivery callbacks; a failing one is logged, the message is processed either way. */
  private async tellHook(callback: 'onRedelivered' | 'onSucceeded', binding: ConsumerBinding, msg: JsMsg): Promise<void> {
    const hook = this.options.failureHook;
    if (!hook?.[callback]) return;
    const delivery = {
      stream: msg.info.stream,
      consumer: binding.durable,
      subject: msg.subject,
      streamSequence: msg.info.streamSequence,
      deliveryCount: msg.info.deliveryCount,
      at: new Date(),
    };
    try {
      await hook[callback](delivery);
    } catch (hookErr) {
      this.logger.error({ event: 'failure-hook.error', callback, error: String(hookErr), stream: delivery.stream, streamSequence: delivery.streamSequence });
    }
  }

  /**
   * Graceful stop: no further pulls; what is held (queued or running) is
   * processed, settled and kept alive meanwhile, then the connection drains so
   * every ack reaches the server. Past `shutdownTimeoutMs` the rest is naked
   * without delay for another process, handlers finishing later settle
   * nothing, and the connection drains at once.
   */
  async close(): Promise<void> {
    for (const b of this.options.bindings) nestjetMetrics.bound.set({ consumer: b.durable }, 0);
    this.presence?.stop();
    this.balancer?.stop();
    for (const w of this.workers) w.stopPulling();
    const drained = Promise.all(this.workers.map((w) => w.drained()));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.options.shutdownTimeoutMs);
    });
    const outcome = await Promise.race([drained.then(() => 'done' as const), timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.abandoned = true;
      const left = this.workers
        .map((w) => w.abandon())
        .reduce((a: Abandoned, b) => ({ running: a.running + b.running, queued: a.queued + b.queued }), { running: 0, queued: 0 });
      this.logger.warn({ event: 'consumer.shutdown-timeout', timeoutMs: this.options.shutdownTimeoutMs, inFlight: left.running, queued: left.queued });
    }
    for (const w of this.workers) w.stop();
    this.settle.flush();
    if (this.nc && !this.nc.isClosed()) await this.nc.drain();
    this.workers.length = 0;
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

/** Attempts made on a rescheduled copy's predecessors; anything but a small positive count reads as none. */
function priorAttemptsOf(msg: JsMsg): number {
  const n = Number(msg.headers?.get(HEADERS.attempts));
  return Number.isInteger(n) && n > 0 && n < 1_000_000 ? n : 0;
}

