import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TelemetryModule } from '../telemetry.module.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsModule } from './metrics.module.js';
import { NestjetMetrics } from './nestjet.metrics.js';

/** A library provider recording through injection, as JetStreamModule's do. */
@Injectable()
class Recorder {
  constructor(readonly metrics: NestjetMetrics) {}
}

@Module({ imports: [MetricsModule], providers: [Recorder] })
class RecordingModule {}

@Module({ imports: [RecordingModule, TelemetryModule] })
class SpecApp {}

describe('MetricsModule', () => {
  const apps: INestApplicationContext[] = [];
  const start = async () => {
    const app = await NestFactory.createApplicationContext(SpecApp, { logger: false });
    apps.push(app);
    return app;
  };

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  it('serves at /metrics what the app’s providers record', async () => {
    const app = await start();
    app.get(Recorder).metrics.bound.inc({ consumer: 'fulfillment' });
    expect(await app.get(MetricsController).scrape()).toContain('nestjet_consumer_bound{consumer="fulfillment"} 1');
  });

  it('is one instance per application', async () => {
    const [a, b] = [await start(), await start()];
    expect(a.get(NestjetMetrics, { strict: false, each: true })).toHaveLength(1);
    expect(a.get(Recorder).metrics).toBe(a.get(NestjetMetrics));
    expect(b.get(NestjetMetrics)).not.toBe(a.get(NestjetMetrics));
  });
});
