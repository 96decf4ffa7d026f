import { Module, type OnApplicationShutdown } from '@nestjs/common';
import { MetricsController } from './metrics/metrics.controller.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { shutdownTracing } from './tracing/tracing.js';

/** /metrics, and a flush of pending spans when the application shuts down. */
@Module({ imports: [MetricsModule], controllers: [MetricsController], exports: [MetricsModule] })
export class TelemetryModule implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    await shutdownTracing();
  }
}
