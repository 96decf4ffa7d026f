import type { Topology } from '#contracts';
import { DeadLetterModule, JetStreamHealthModule, JetStreamModule } from '#jetstream';
import { TelemetryModule } from '#telemetry';
import { Global, Module, type DynamicModule } from '@nestjs/common';
import { ConsumerEnvironment } from './config/consumer.environment.js';
import { OrdersModule } from './orders/orders.module.js';

@Global()
@Module({})
export class ConsumerModule {
  static forRoot(env: ConsumerEnvironment, topology: Topology, consumers: string[]): DynamicModule {
    return {
      module: ConsumerModule,
      imports: [
        JetStreamModule.forRoot({
          name: 'nestjet-consumer',
          connection: env.connectionOptions('consumer'),
          topology,
          autoProvision: env.AUTO_PROVISION,
          requiredConsumers: consumers,
        }),
        DeadLetterModule.forRoot({
          router: env.routerEnabled,
          connection: env.deadLetterConnectionOptions(),
          reconcile: { intervalMs: env.DLQ_RECONCILE_INTERVAL_MS, graceMs: env.DLQ_RECONCILE_GRACE_MS, batch: env.DLQ_RECONCILE_BATCH },
        }),
        JetStreamHealthModule,
        TelemetryModule,
        OrdersModule,
      ],
      providers: [{ provide: ConsumerEnvironment, useValue: env }],
      exports: [ConsumerEnvironment],
    };
  }
}
