import { buildTopology, type Topology } from '#contracts';
import {
  AuditTrail,
  DeadLetterModule,
  JETSTREAM_MANAGER,
  JETSTREAM_TOPOLOGY,
  JetStreamHealthModule,
  JetStreamModule,
  JetStreamPublisher,
  MessageScheduler,
  NATS_CONNECTION,
  PresenceTracker,
} from '#jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import { TelemetryModule } from '#telemetry';
import type { NatsConnection } from '@nats-io/transport-node';
import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { AuditController } from './audit/audit.controller.js';
import { AuditInterceptor } from './audit/audit.interceptor.js';
import { AuditRecorder } from './audit/audit.recorder.js';
import { ScopeGuard } from './auth/scope.guard.js';
import { ProducerEnvironment } from './config/producer.environment.js';
import { DlqController } from './dlq/dlq.controller.js';
import { MessagesController } from './messages/messages.controller.js';
import { MessagesService } from './messages/messages.service.js';
import { ProblemDetailsFilter } from './problem/problem-details.filter.js';
import { QuotasService } from './quotas/quotas.service.js';
import { JaegerQueryClient } from './operations/jaeger-query.client.js';
import { OperationsController } from './operations/operations.controller.js';
import { OperationsSampler } from './operations/operations.sampler.js';
import { SchedulesController } from './schedules/schedules.controller.js';
import { ContractDocument } from './topics/contract.document.js';
import { TopicsController } from './topics/topics.controller.js';

@Module({})
export class ProducerModule {
  static forRoot(env: ProducerEnvironment): DynamicModule {
    return {
      module: ProducerModule,
      imports: [
        JetStreamModule.forRoot({
          name: 'nestjet-producer',
          connection: env.connectionOptions('producer'),
          topology: env.topology(buildTopology),
          autoProvision: env.AUTO_PROVISION,
          publisher: { deadlineMs: env.PUBLISH_DEADLINE_MS, attemptTimeoutMs: env.PUBLISH_ATTEMPT_TIMEOUT_MS },
        }),
        // The service behind /v1/dlq; the router runs in a process of its own (the dlq user).
        DeadLetterModule.forRoot({ router: false, connection: env.deadLetterConnectionOptions() }),
        JetStreamHealthModule,
        TelemetryModule,
      ],
      controllers: [MessagesController, SchedulesController, TopicsController, ...(env.ADMIN_API_ENABLED ? [DlqController, OperationsController, AuditController] : [])],
      providers: [
        { provide: ProducerEnvironment, useValue: env },
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        { provide: APP_GUARD, useClass: ScopeGuard },
        // Every admin action, wherever it is served (schedule cancels are on ingress-only pods too), is recorded.
        { provide: AuditTrail, inject: [JETSTREAM_MANAGER], useFactory: (jsm: JetStreamManager) => new AuditTrail(jsm) },
        AuditRecorder,
        AuditInterceptor,
        MessagesService,
        QuotasService,
        ContractDocument,
        {
          provide: MessageScheduler,
          inject: [JETSTREAM_MANAGER, JetStreamPublisher],
          useFactory: (jsm: JetStreamManager, publisher: JetStreamPublisher) => new MessageScheduler(jsm, publisher, env.SCHEDULES_MAX_MESSAGES, env.SCHEDULES_MAX_BYTES, env.SCHEDULES_MAX_PENDING_PER_CALLER, env.SCHEDULES_MAX_PENDING_BYTES_PER_CALLER),
        },
        ...(env.ADMIN_API_ENABLED
          ? [
              OperationsSampler,
              JaegerQueryClient,
              {
                provide: PresenceTracker,
                inject: [NATS_CONNECTION, JETSTREAM_TOPOLOGY],
                // The declared durables only: a beacon for any other name is not even received.
                useFactory: (nc: NatsConnection, topology: Topology) => {
                  const tracker = new PresenceTracker(nc, Date.now, topology.consumers.map((c) => ({ stream: c.stream, durable: c.durable })));
                  tracker.start();
                  return tracker;
                },
              },
            ]
          : []),
      ],
    };
  }
}
