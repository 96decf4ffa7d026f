import type { Topology } from '#contracts';
import { MetricsModule, NestjetMetrics } from '#telemetry';
import {
  Inject,
  Injectable,
  Logger,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats, type NatsConnectionOptions } from '../connection/nats-connection.js';
import { DEFAULT_API_TIMEOUT_MS, JETSTREAM_MANAGER, JETSTREAM_MODULE_OPTIONS, JETSTREAM_TOPOLOGY, NATS_CONNECTION } from '../jetstream.constants.js';
import type { JetStreamModuleOptions } from '../jetstream-module.options.js';
import { JetStreamPublisher } from '../publisher/jetstream.publisher.js';
import { DEAD_LETTER_MODULE_OPTIONS, DLQ_ADVISORY_STREAM, DLQ_ROUTER_DURABLE } from './dead-letter.constants.js';
import { DEFAULT_RECONCILE_OPTIONS, DeadLetterReconciler, type ReconcileOptions } from './dead-letter.reconciler.js';
import { DeadLetterRouter } from './dead-letter.router.js';
import { DeadLetterSink, type DeadLetterCounters } from './dead-letter.sink.js';
import { PresenceAnnouncer } from '../presence/presence.announcer.js';
import { DeadLetterService } from './dead-letter.service.js';
import { DirectDeadLetterHook } from './direct-dead-letter.hook.js';
import { KvFailureRecorder } from './failure.recorder.js';
import { MessageScheduler } from '../schedule/message-scheduler.js';
import { RetryRescheduler } from '../schedule/retry-rescheduler.js';
import { SCHEDULES_STREAM } from '../schedule/schedule.constants.js';

export interface DeadLetterModuleOptions {
  /** Run the DLQ router in this process (consumer pods); the service alone serves the admin API and CLI. */
  router: boolean;
  /**
   * A connection of its own for dead-letter work, as the `dlq` NATS user (the
   * only one allowed to write every `dlq.>` subject, delete originals and
   * schedule retries): the DLQ router and the admin API. Absent: the
   * JetStreamModule's shared connection (a consumer group's worker, whose user
   * may dead-letter only its own durables).
   */
  connection?: NatsConnectionOptions;
  /** The reconciliation sweep, which runs where the router runs; defaults: DEFAULT_RECONCILE_OPTIONS. */
  reconcile?: ReconcileOptions;
}

/** The connection dead letters are read, routed and replayed on, with its manager and publisher. */
class DeadLetterConnection {
  constructor(
    readonly nc: NatsConnection,
    readonly jsm: JetStreamManager,
    readonly publisher: JetStreamPublisher,
    /** For records (router, sweep, transport): no ingress metrics, routing counts its own. */
    readonly recordPublisher: JetStreamPublisher,
    /** Opened for dead letters alone, so this module drains it. */
    readonly owned: boolean,
  ) {}
}

/** Starts the router with the app, stops it before the connections drain, then drains its own connection. */
@Injectable()
class DeadLetterLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  /** The router is a worker too: the operations view counts it like the transports' workers. */
  private presence?: PresenceAnnouncer;

  constructor(
    private readonly router: DeadLetterRouter,
    private readonly reconciler: DeadLetterReconciler,
    private readonly connection: DeadLetterConnection,
    @Inject(DEAD_LETTER_MODULE_OPTIONS) private readonly options: DeadLetterModuleOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.options.router) return;
    await this.router.start();
    this.reconciler.start();
    this.presence = new PresenceAnnouncer(this.connection.nc, [{ stream: DLQ_ADVISORY_STREAM, durable: DLQ_ROUTER_DURABLE }]);
    this.presence.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.options.router) return;
    this.presence?.stop();
    await Promise.all([this.router.stop(), this.reconciler.stop()]);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.connection.owned && !this.connection.nc.isClosed()) await this.connection.nc.drain();
  }
}

/** The app's metrics of stored records: every writer's, counted once, where the sink stores them. */
function deadLetterCounters(metrics: NestjetMetrics): DeadLetterCounters {
  return {
    stored: ({ stream, consumer, kind }, source) => {
      metrics.deadLettered.inc({ stream, consumer, kind });
      if (source === 'reconciler') metrics.reconciled.inc({ stream, consumer, kind });
    },
  };
}

/**
 * Dead letters: the service behind the admin API and CLI, the failure recorder
 * the transport writes to (on the shared connection: the worker's user writes
 * its durables' failure records), the transport's hook that dead-letters final
 * failures directly (through the dead-letter connection, else the worker's own), and (with
 * `router: true`) the DLQ router and the reconciliation sweep.
 * Needs `JetStreamModule.forRoot()`.
 */
@Module({})
export class DeadLetterModule {
  static forRoot(options: DeadLetterModuleOptions): DynamicModule {
    return {
      module: DeadLetterModule,
      imports: [MetricsModule],
      providers: [
        { provide: DEAD_LETTER_MODULE_OPTIONS, useValue: options },
        {
          provide: DeadLetterConnection,
          inject: [NATS_CONNECTION, JETSTREAM_MANAGER, JetStreamPublisher, JETSTREAM_MODULE_OPTIONS, NestjetMetrics],
          useFactory: async (nc: NatsConnection, jsm: JetStreamManager, publisher: JetStreamPublisher, o: JetStreamModuleOptions, metrics: NestjetMetrics) => {
            const records = (c: NatsConnection) => new JetStreamPublisher(c, { ...o.publisher, recordMetrics: false });
            if (!options.connection) return new DeadLetterConnection(nc, jsm, publisher, records(nc), false);
            const own = await connectNats(options.connection, `${o.name}-dlq`, new Logger('NATS'));
            const ownJsm = await jetstreamManager(own, { timeout: o.apiTimeoutMs ?? DEFAULT_API_TIMEOUT_MS, checkAPI: false });
            return new DeadLetterConnection(own, ownJsm, new JetStreamPublisher(own, o.publisher, (topic) => metrics.topic(topic)), records(own), true);
          },
        },
        {
          provide: KvFailureRecorder,
          inject: [NATS_CONNECTION],
          useFactory: (nc: NatsConnection) => new KvFailureRecorder(nc),
        },
        {
          provide: DeadLetterService,
          inject: [DeadLetterConnection, JETSTREAM_TOPOLOGY],
          useFactory: (c: DeadLetterConnection, topology: Topology) => new DeadLetterService(c.jsm, topology, c.publisher),
        },
        {
          provide: DeadLetterSink,
          inject: [DeadLetterConnection, NestjetMetrics],
          // The worker's own user (consumer-<group>) may write dlq.<stream>.<its durables>, so the shared connection serves too.
          useFactory: (c: DeadLetterConnection, metrics: NestjetMetrics) => new DeadLetterSink(c.recordPublisher, deadLetterCounters(metrics)),
        },
        {
          provide: DirectDeadLetterHook,
          inject: [KvFailureRecorder, DeadLetterSink],
          useFactory: (recorder: KvFailureRecorder, sink: DeadLetterSink) => new DirectDeadLetterHook(recorder, sink),
        },
        {
          provide: RetryRescheduler,
          inject: [DeadLetterConnection, JETSTREAM_MODULE_OPTIONS],
          // Only the dlq user may schedule: a schedule's target header is not subject to permissions, so a copy could land on any topic
          // subject. Consumer groups have no dlq connection; their long retries wait as nak(delay) (see docs/security.md).
          useFactory: (c: DeadLetterConnection, o: JetStreamModuleOptions) =>
            c.owned && o.topology.streams.some((st) => st.name === SCHEDULES_STREAM) ? new RetryRescheduler(new MessageScheduler(c.jsm, c.recordPublisher)) : null,
        },
        {
          provide: DeadLetterRouter,
          inject: [DeadLetterConnection, JETSTREAM_MODULE_OPTIONS, DeadLetterSink, NestjetMetrics],
          useFactory: (c: DeadLetterConnection, o: JetStreamModuleOptions, sink: DeadLetterSink, metrics: NestjetMetrics) =>
            new DeadLetterRouter(c.jsm, c.recordPublisher, new KvFailureRecorder(c.nc), o.topology, sink, (check) => metrics.rejectedAdvisories.inc({ check })),
        },
        {
          provide: DeadLetterReconciler,
          inject: [DeadLetterConnection, DeadLetterSink],
          useFactory: (c: DeadLetterConnection, sink: DeadLetterSink) => new DeadLetterReconciler(c.jsm, sink, new KvFailureRecorder(c.nc), options.reconcile ?? DEFAULT_RECONCILE_OPTIONS),
        },
        DeadLetterLifecycle,
      ],
      exports: [DeadLetterService, KvFailureRecorder, DirectDeadLetterHook, RetryRescheduler],
    };
  }
}
