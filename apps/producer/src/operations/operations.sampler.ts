import type { Topology } from '#contracts';
import { JETSTREAM_TOPOLOGY, JetStreamAdmin } from '#jetstream';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { ProducerEnvironment } from '../config/producer.environment.js';
import { consumerKey, consumerSample, streamSample, type OperationsSample } from './operations.sample.js';

/** How far back the consumer page's charts reach. */
export const HISTORY_MS = 15 * 60_000;

/**
 * Samples every declared stream and consumer every OPS_SAMPLE_INTERVAL_MS and
 * keeps 15 minutes of them, so the operations view has rates and history the
 * moment someone opens it (one round is a few JetStream info calls). Each
 * producer pod samples on its own; any one of them can answer.
 */
@Injectable()
export class OperationsSampler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('OperationsSampler');
  private samples: OperationsSample[] = [];
  private timer?: NodeJS.Timeout;
  private running?: Promise<OperationsSample | null>;
  private failing = false;

  constructor(
    private readonly admin: JetStreamAdmin,
    @Inject(JETSTREAM_TOPOLOGY) private readonly topology: Topology,
    private readonly env: ProducerEnvironment,
  ) {}

  onApplicationBootstrap(): void {
    if (this.env.OPS_SAMPLE_INTERVAL_MS === 0) return;
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.env.OPS_SAMPLE_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  get intervalMs(): number {
    return this.env.OPS_SAMPLE_INTERVAL_MS;
  }

  /** Samples within the last `windowMs`, oldest first; with sampling off, each request takes one (rates then span the requests). */
  async history(windowMs: number): Promise<OperationsSample[]> {
    if (this.env.OPS_SAMPLE_INTERVAL_MS === 0 || this.samples.length === 0) await this.sample();
    const from = Date.now() - windowMs;
    return this.samples.filter((s) => s.t >= from);
  }

  /** Whether the latest round reached JetStream. */
  get reachable(): boolean {
    return !this.failing;
  }

  /** One round; overlapping calls share it. Null when JetStream could not be asked. */
  sample(): Promise<OperationsSample | null> {
    this.running ??= this.takeSample().finally(() => (this.running = undefined));
    return this.running;
  }

  private async takeSample(): Promise<OperationsSample | null> {
    try {
      const t = Date.now();
      const [streams, consumers] = await Promise.all([
        Promise.all(this.topology.streams.map(async (s) => [s.name, await this.admin.streamInfo(s.name)] as const)),
        Promise.all(this.topology.consumers.map(async (c) => [consumerKey(c.stream, c.durable), await this.admin.consumerInfo(c.stream, c.durable)] as const)),
      ]);
      const sample: OperationsSample = {
        t,
        streams: Object.fromEntries(streams.map(([name, info]) => [name, info ? streamSample(info) : null])),
        consumers: Object.fromEntries(consumers.map(([key, info]) => [key, info ? consumerSample(info) : null])),
      };
      this.samples.push(sample);
      const keepFrom = t - HISTORY_MS;
      while (this.samples.length > 0 && this.samples[0]!.t < keepFrom) this.samples.shift();
      if (this.failing) this.logger.log({ event: 'ops.sampling-recovered' });
      this.failing = false;
      return sample;
    } catch (err) {
      if (!this.failing) this.logger.warn({ event: 'ops.sampling-failed', error: String(err) });
      this.failing = true;
      return null;
    }
  }
}
