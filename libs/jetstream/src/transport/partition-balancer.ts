import type { JetStreamManager } from '@nats-io/jetstream';
import type { LoggerService } from '@nestjs/common';
import type { PresenceTracker } from '../presence/presence.tracker.js';
import type { ConsumerWorker } from './consumer-worker.js';
import type { ConsumerBinding } from './consumer-bindings.js';

/** How often a worker compares its partitions with its fair share: a new worker announces itself at once, so it gets work within about this. */
const BALANCE_INTERVAL_MS = 1_000;

/** How many of its pinned partitions a worker lets go: those beyond its fair share, ceil(partitions / workers). */
export function partitionsToRelease(pinned: number, partitions: number, workers: number): number {
  return Math.max(0, pinned - Math.ceil(partitions / Math.max(1, workers)));
}

/** One partitioned consumer in this process: a worker per partition durable. */
export interface PartitionedConsumer {
  stream: string;
  consumer: string;
  group: string;
  /** How long a released partition waits before this worker becomes its standby again. */
  cooldownMs: number;
  partitions: { durable: string; worker: ConsumerWorker }[];
}

/**
 * Spreads a partitioned consumer's partitions over its workers. The server
 * pins each partition's durable to one worker (the first to pull, then
 * whoever waits when the pinned one stops pulling), so the first worker up
 * holds them all; every `intervalMs` each worker compares what it holds with
 * its fair share of the live workers (counted from their presence beacons)
 * and lets go of the excess: it drops its pulls and unpins, and a waiting
 * worker takes the partition over once the in-flight message is acked.
 */
export class PartitionBalancer {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly jsm: JetStreamManager,
    private readonly tracker: PresenceTracker,
    private readonly consumers: PartitionedConsumer[],
    private readonly logger: LoggerService,
    private readonly intervalMs = BALANCE_INTERVAL_MS,
  ) {}

  start(): void {
    this.tracker.start();
    this.timer = setInterval(() => void this.balance(), this.intervalMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.tracker.stop();
  }

  async balance(): Promise<void> {
    for (const c of this.consumers) {
      const workers = this.tracker.workers(c.stream, c.partitions[0]!.durable);
      const pinned = c.partitions.filter((p) => p.worker.pinned);
      const excess = partitionsToRelease(pinned.length, c.partitions.length, workers);
      for (const p of pinned.slice(pinned.length - excess)) {
        p.worker.release(c.cooldownMs);
        try {
          await this.jsm.consumers.unpin(c.stream, p.durable, c.group);
        } catch (err) {
          // Not pulling is enough: the server moves the pin after its timeout.
          this.logger.warn({ event: 'partition.unpin-failed', consumer: c.consumer, durable: p.durable, error: String(err) });
        }
        this.logger.log({ event: 'partition.released', consumer: c.consumer, durable: p.durable, pinned: pinned.length, workers });
      }
    }
  }
}

/** The partition workers of this process, grouped by their partitioned consumer. */
export function partitionedConsumers(workers: { binding: ConsumerBinding; worker: ConsumerWorker }[]): PartitionedConsumer[] {
  const byConsumer = new Map<string, PartitionedConsumer>();
  for (const { binding, worker } of workers) {
    const { group, timeoutMs } = binding.pinned!;
    const c = byConsumer.get(binding.consumer) ?? { stream: binding.stream, consumer: binding.consumer, group, cooldownMs: timeoutMs, partitions: [] };
    c.partitions.push({ durable: binding.durable, worker });
    byConsumer.set(binding.consumer, c);
  }
  return [...byConsumer.values()];
}
