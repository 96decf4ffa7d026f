import { Global, Module } from '@nestjs/common';
import { NestjetMetrics } from './nestjet.metrics.js';

/**
 * The application's NestjetMetrics, one per Nest application. Imported by
 * JetStreamModule as well as TelemetryModule, so an app without /metrics still
 * records; Nest creates a module once per application, so everything in it
 * records into the same registry. Global: the library's modules inject it
 * wherever they are imported.
 */
@Global()
@Module({ providers: [NestjetMetrics], exports: [NestjetMetrics] })
export class MetricsModule {}
