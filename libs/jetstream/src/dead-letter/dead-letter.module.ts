import type { Topology } from '#contracts';
import { Inject, Injectable, Module, type BeforeApplicationShutdown, type DynamicModule, type OnApplicationBootstrap } from '@nestjs/common';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { JETSTREAM_MANAGER, JETSTREAM_MODULE_OPTIONS, JETSTREAM_TOPOLOGY, NATS_CONNECTION } from '../jetstream.constants.js';
import type { JetStreamModuleOptions } from '../jetstream-module.options.js';
import { JetStreamPublisher } from '../publisher/jetstream.publisher.js';
import { DEAD_LETTER_MODULE_OPTIONS } from './dead-letter.constants.js';
import { DeadLetterRouter } from './dead-letter.router.js';
import { DeadLetterService } from './dead-letter.service.js';
import { KvFailureRecorder } from './failure.recorder.js';

export interface DeadLetterModuleOptions {
  /** Run the DLQ router in this process (consumer pods); the service alone serves the admin API and CLI. */
  router: boolean;
}

/** Starts the router with the app and stops it before the shared connection drains. */
@Injectable()
class DeadLetterRouterHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    private readonly router: DeadLetterRouter,
    @Inject(DEAD_LETTER_MODULE_OPTIONS) private readonly options: DeadLetterModuleOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.router) await this.router.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.options.router) await this.router.stop();
  }
}

/**
 * Dead letters: the service behind the admin API and CLI, the failure recorder
 * the transport writes to, and (with `router: true`) the DLQ router.
 * Needs `JetStreamModule.forRoot()`.
 */
@Module({})
export class DeadLetterModule {
  static forRoot(options: DeadLetterModuleOptions): DynamicModule {
    return {
      module: DeadLetterModule,
      providers: [
        { provide: DEAD_LETTER_MODULE_OPTIONS, useValue: options },
        {
          provide: KvFailureRecorder,
          inject: [NATS_CONNECTION],
          useFactory: (nc: NatsConnection) => new KvFailureRecorder(nc),
        },
        {
          provide: DeadLetterService,
          inject: [JETSTREAM_MANAGER, JETSTREAM_TOPOLOGY, JetStreamPublisher],
          useFactory: (jsm: JetStreamManager, topology: Topology, publisher: JetStreamPublisher) => new DeadLetterService(jsm, topology, publisher),
        },
        {
          provide: DeadLetterRouter,
          inject: [NATS_CONNECTION, JETSTREAM_MANAGER, JETSTREAM_MODULE_OPTIONS, KvFailureRecorder],
          useFactory: (nc: NatsConnection, jsm: JetStreamManager, o: JetStreamModuleOptions, failures: KvFailureRecorder) =>
            new DeadLetterRouter(jsm, new JetStreamPublisher(nc, { ...o.publisher, recordMetrics: false }), failures, o.topology),
        },
        DeadLetterRouterHost,
      ],
      exports: [DeadLetterService, KvFailureRecorder],
    };
  }
}
