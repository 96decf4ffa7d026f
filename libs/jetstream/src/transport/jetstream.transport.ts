import { jetstream, jetstreamManager, type Consumer } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { Logger, type INestApplicationContext } from '@nestjs/common';
import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import { activeTraceContexts, NestjetMetrics, samplingFollowsParent, tracingActive, tracingStartedByNestjet } from '#telemetry';
import type { TopicDeclaration } from '#contracts';
import { connectNats, type NatsConnectionOptions } from '../connection/nats-connection.js';
import { whileUnavailable } from '../connection/while-unavailable.js';
import { DeliveryMetricsListener } from '../delivery/delivery-metrics.listener.js';
import { DeliveryPipeline } from '../delivery/delivery-pipeline.js';
import { DeliveryTracingListener, type HandlerTraceContext } from '../delivery/delivery-tracing.listener.js';
import type { DeliveryListener } from '../delivery/delivery-listener.js';
import { FailureRecordListener } from '../delivery/failure-record.listener.js';
import { DirectHandlers } from '../delivery/direct-handlers.js';
import { HandlerRoutes } from '../delivery/handler-routes.js';
import { versionedHandler } from '../delivery/payload-reader.js';
import { DEFAULT_IDEMPOTENCY_HORIZON_MS } from '../idempotency/idempotency.constants.js';
import { IdempotencyGuard } from '../idempotency/idempotency.guard.js';
import type { ProcessedMarkers } from '../idempotency/processed-markers.js';
import { JETSTREAM_TRANSPORT } from '../jetstream.constants.js';
import { PresenceAnnouncer } from '../presence/presence.announcer.js';
import { PresenceTracker } from '../presence/presence.tracker.js';
import type { RetryRescheduler } from '../schedule/retry-rescheduler.js';
import type { ConsumerBinding } from './consumer-bindings.js';
import { ConsumerWorker, type Abandoned } from './consumer-worker.js';
import type { MessageFailureHook } from './message-failure.hook.js';
import { PartitionBalancer, partitionedConsumers } from './partition-balancer.js';

export type { ConsumerBinding } from './consumer-bindings.js';

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
  /**
   * The Nest application whose handlers this transport runs, read when it binds: with it, handlers that
   * Nest's RPC pipeline would add nothing to are called directly (see DirectHandlers); without it, every
   * handler goes through that pipeline.
   */
  application?: () => INestApplicationContext | undefined;
  /**
   * Whether a recorded delivery's span is the active context inside its handler (see HandlerTraceContext).
   * Default: what nestjet's startTracing was told (TRACE_CONTEXT, `active` unless `explicit`), and `active`
   * under any other SDK set-up.
   */
  traceContext?: HandlerTraceContext;
  /**
   * Where deliveries and bound consumers are counted: the app's (appPullTransport passes it). Without it the
   * transport records into metrics of its own, so one built by hand still works; nobody scrapes those.
   */
  metrics?: NestjetMetrics;
}

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
  private readonly patternExtras = new WeakMap<MessageHandler, object>();
  private readonly workers: ConsumerWorker[] = [];
  /** The server's ack timeout of each bound consumer: retries due later are rescheduled. */
  private readonly ackWaits = new Map<string, number>();
  private pipeline?: DeliveryPipeline;
  private nc?: NatsConnection;
  private presence?: PresenceAnnouncer;
  private balancer?: PartitionBalancer;

  private readonly idempotency: IdempotencyGuard;
  private readonly metrics: NestjetMetrics;

  constructor(private readonly options: JetStreamTransportOptions) {
    super();
    this.metrics = options.metrics ?? new NestjetMetrics();
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
    // Nest hands over the pattern's own metadata object: DirectHandlers finds the method by it.
    this.patternExtras.set(callback, extras);
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
      this.invokeDirectlyWherePossible();
      this.nc = await connectNats(this.options.connection, this.options.name, this.logger);
      const pipeline = (this.pipeline = this.createPipeline());
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
          (msg) => pipeline.deliver(binding, msg),
        );
        this.workers.push(worker);
        if (pinned) partitioned.push({ binding, worker });
        this.metrics.bound.inc({ consumer: binding.durable });
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

  /** Handlers Nest's RPC pipeline would add nothing to are called directly from here on (see DirectHandlers). */
  private invokeDirectlyWherePossible(): void {
    const app = this.options.application?.();
    if (!app) return;
    const direct = new DirectHandlers(app);
    const viaNest: string[] = [];
    this.routes.replaceHandlers(({ pattern, handler }) => {
      const call = direct.resolve(this.patternExtras.get(handler));
      if (!call) {
        viaNest.push(pattern);
        return handler;
      }
      call.extras = handler.extras;
      call.isEventHandler = handler.isEventHandler;
      return call;
    });
    this.logger.log({ event: 'handlers.resolved', direct: this.routes.handlers().length - viaNest.length, viaNestPipeline: viaNest });
  }

  /**
   * The delivery path, built once the process is set up: the tracing listener
   * only when a tracer provider is registered (instrumentation runs first).
   */
  private createPipeline(): DeliveryPipeline {
    const listeners: DeliveryListener[] = [new FailureRecordListener(this.logger, this.options.failureHook), new DeliveryMetricsListener((durable) => this.metrics.consumer(durable))];
    if (tracingActive()) listeners.push(new DeliveryTracingListener(samplingFollowsParent(), this.handlerTraceContext()));
    return new DeliveryPipeline({
      routes: this.routes,
      guard: this.idempotency,
      logger: this.logger,
      listeners,
      rescheduler: this.options.rescheduler,
      ackWaitOf: (durable) => this.ackWaits.get(durable),
    });
  }

  private handlerTraceContext(): HandlerTraceContext {
    if (this.options.traceContext) return this.options.traceContext;
    return tracingStartedByNestjet() && !activeTraceContexts() ? 'explicit' : 'active';
  }

  /** The server's ack timeout for this consumer: its ack wait, or its shortest backoff step when it has a backoff. */
  private async ackWaitOf(consumer: Consumer): Promise<number> {
    const { config } = await consumer.info(true);
    const waits = [config.ack_wait ?? 30_000 * NANOS_PER_MS, ...(config.backoff ?? [])];
    return Math.min(...waits) / NANOS_PER_MS;
  }

  /**
   * Graceful stop: no further pulls; what is held (queued or running) is
   * processed, settled and kept alive meanwhile, then the connection drains so
   * every ack reaches the server. Past `shutdownTimeoutMs` the rest is naked
   * without delay for another process, handlers finishing later settle
   * nothing, and the connection drains at once.
   */
  async close(): Promise<void> {
    for (const b of this.options.bindings) this.metrics.bound.set({ consumer: b.durable }, 0);
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
      this.pipeline?.abandon();
      const left = this.workers
        .map((w) => w.abandon())
        .reduce((a: Abandoned, b) => ({ running: a.running + b.running, queued: a.queued + b.queued }), { running: 0, queued: 0 });
      this.logger.warn({ event: 'consumer.shutdown-timeout', timeoutMs: this.options.shutdownTimeoutMs, inFlight: left.running, queued: left.queued });
    }
    for (const w of this.workers) w.stop();
    this.pipeline?.flush();
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
