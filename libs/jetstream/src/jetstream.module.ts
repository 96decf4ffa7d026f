import { Inject, Logger, Module, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { MetricsModule, NestjetMetrics } from '#telemetry';
import { JetStreamAdmin } from './admin/jetstream.admin.js';
import { connectNats } from './connection/nats-connection.js';
import { DEFAULT_API_TIMEOUT_MS, JETSTREAM_MANAGER, JETSTREAM_MODULE_OPTIONS, JETSTREAM_TOPOLOGY, NATS_CONNECTION } from './jetstream.constants.js';
import type { JetStreamModuleOptions } from './jetstream-module.options.js';
import { JetStreamClientProxy } from './publisher/jetstream.client.js';
import { JetStreamPublisher } from './publisher/jetstream.publisher.js';
import { formatProvisionResults } from './topology/topology.provisioner.js';

/**
 * One NATS connection per process for publishing and admin reads, one
 * JetStreamManager on it, the publisher, a `ClientProxy`, and the declared
 * topology. Global, so feature modules inject `JetStreamPublisher` or
 * `JetStreamAdmin` directly. Imports MetricsModule itself, so the app's
 * metrics exist with or without TelemetryModule's /metrics.
 */
@Module({})
export class JetStreamModule implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('JetStreamModule');

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(JETSTREAM_MODULE_OPTIONS) private readonly options: JetStreamModuleOptions,
    private readonly admin: JetStreamAdmin,
    private readonly metrics: NestjetMetrics,
  ) {}

  static forRoot(options: JetStreamModuleOptions): DynamicModule {
    return {
      module: JetStreamModule,
      global: true,
      imports: [MetricsModule],
      providers: [
        { provide: JETSTREAM_MODULE_OPTIONS, useValue: options },
        { provide: JETSTREAM_TOPOLOGY, useValue: options.topology },
        {
          provide: NATS_CONNECTION,
          useFactory: () => connectNats(options.connection, options.name, new Logger('NATS')),
        },
        {
          provide: JETSTREAM_MANAGER,
          inject: [NATS_CONNECTION],
          useFactory: (nc: NatsConnection) => jetstreamManager(nc, { timeout: options.apiTimeoutMs ?? DEFAULT_API_TIMEOUT_MS, checkAPI: false }),
        },
        {
          provide: JetStreamPublisher,
          inject: [NATS_CONNECTION, NestjetMetrics],
          useFactory: (nc: NatsConnection, metrics: NestjetMetrics) => new JetStreamPublisher(nc, options.publisher, (topic) => metrics.topic(topic)),
        },
        {
          provide: JetStreamClientProxy,
          inject: [NATS_CONNECTION, JetStreamPublisher],
          useFactory: (nc: NatsConnection, p: JetStreamPublisher) => new JetStreamClientProxy(nc, p, options.topology.topics, `/nestjet/${options.name}`),
        },
        {
          provide: JetStreamAdmin,
          inject: [NATS_CONNECTION, JETSTREAM_MANAGER],
          useFactory: (nc: NatsConnection, jsm: JetStreamManager) => new JetStreamAdmin(nc, jsm, options.topology),
        },
      ],
      exports: [
        NATS_CONNECTION,
        JETSTREAM_MANAGER,
        JETSTREAM_MODULE_OPTIONS,
        JETSTREAM_TOPOLOGY,
        JetStreamPublisher,
        JetStreamClientProxy,
        JetStreamAdmin,
      ],
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    this.metrics.useStatsSource(() => this.admin.brokerStats());
    if (!this.options.autoProvision) return;
    const results = await this.admin.provision();
    this.logger.log(`provisioned topology\n${formatProvisionResults(results)}`);
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.drain();
  }
}
