import { NestjetMetrics } from '#telemetry';
import type { INestApplicationContext } from '@nestjs/common';
import { DirectDeadLetterHook } from '../dead-letter/direct-dead-letter.hook.js';
import { ProcessedMarkers } from '../idempotency/processed-markers.js';
import { NATS_CONNECTION } from '../jetstream.constants.js';
import { RetryRescheduler } from '../schedule/retry-rescheduler.js';
import { JetStreamPullTransport, type JetStreamTransportOptions } from './jetstream.transport.js';

/** What the app does not already hold: the worker's own connection, bindings and timings. */
export type AppPullTransportOptions = Omit<JetStreamTransportOptions, 'failureHook' | 'rescheduler' | 'markers' | 'application' | 'metrics'>;

/**
 * The pull transport of an app that imports `JetStreamModule` and
 * `DeadLetterModule`: final failures dead-lettered directly, retries due after
 * the ack wait rescheduled, and processed-markers on the app's shared
 * connection (the worker's user writes the marker bucket), deliveries counted
 * in the app's metrics (its /metrics). The consumer app
 * and `NestjetTestingModule` start their handlers with it.
 */
export function appPullTransport(app: INestApplicationContext, options: AppPullTransportOptions): JetStreamPullTransport {
  return new JetStreamPullTransport({
    ...options,
    failureHook: app.get(DirectDeadLetterHook),
    rescheduler: app.get(RetryRescheduler) ?? undefined,
    markers: new ProcessedMarkers(app.get(NATS_CONNECTION)),
    application: () => app,
    metrics: app.get(NestjetMetrics),
  });
}
