import type { Topology } from '#contracts';
import {
  Inject,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { JETSTREAM_TOPOLOGY, NATS_CONNECTION } from '../jetstream.constants.js';
import { JetStreamPublisher } from '../publisher/jetstream.publisher.js';
import { DeadLetterRouter } from './dead-letter.router.js';

export const DEAD_LETTER_ROUTER_ENABLED = Symbol('DEAD_LETTER_ROUTER_ENABLED');

/** Starts the router with the app and stops it before the shared connection drains. */
@Injectable()
export class DeadLetterRouterHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    readonly router: DeadLetterRouter,
    @Inject(DEAD_LETTER_ROUTER_ENABLED) private readonly enabled: boolean,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.enabled) await this.router.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.enabled) await this.router.stop();
  }
}

/** The DLQ router for consumer apps; needs `JetStreamModule.forRoot()`. */
@Module({})
export class DeadLetterModule {
  static forRoot(options: { router: boolean }): DynamicModule {
    return {
      module: DeadLetterModule,
      providers: [
        { provide: DEAD_LETTER_ROUTER_ENABLED, useValue: options.router },
        {
          provide: DeadLetterRouter,
          inject: [NATS_CONNECTION, JETSTREAM_TOPOLOGY, JetStreamPublisher],
          useFactory: (nc: NatsConnection, topology: Topology, publisher: JetStreamPublisher) =>
            new DeadLetterRouter(nc, topology, publisher),
        },
        DeadLetterRouterHost,
      ],
      exports: [DeadLetterRouter],
    };
  }
}
