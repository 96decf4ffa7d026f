import { DEFAULT_IDEMPOTENCY_HORIZON_MS, DEFAULT_RECONCILE_OPTIONS, EnvBoolean, EnvList, EnvNumber, ServiceEnvironment } from '#jetstream';
import { ORDER_CONSUMERS } from '#contracts';
import { ArrayMinSize, IsArray, IsBoolean, IsInt, IsString, Max, Min } from 'class-validator';

export class ConsumerEnvironment extends ServiceEnvironment {
  /** Port for /healthz and /readyz. */
  @EnvNumber()
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT = 3001;

  /** Durable consumers this process serves (comma-separated); `none` for a DLQ-router-only worker. */
  @EnvList()
  @IsArray()
  @ArrayMinSize(1)
  @IsString({ each: true })
  CONSUMERS: string[] = Object.values(ORDER_CONSUMERS);

  /** Run the dead-letter router in this process (safe in every pod: one shared durable). */
  @EnvBoolean()
  @IsBoolean()
  DLQ_ROUTER_ENABLED = true;

  /** Time between reconciliation sweeps (processes running the router): final failures without a DLQ record become records. */
  @EnvNumber()
  @IsInt()
  @Min(100)
  DLQ_RECONCILE_INTERVAL_MS = DEFAULT_RECONCILE_OPTIONS.intervalMs;

  /** Age a final failure record must reach before the sweep writes its record (the transport and the router go first). */
  @EnvNumber()
  @IsInt()
  @Min(0)
  DLQ_RECONCILE_GRACE_MS = DEFAULT_RECONCILE_OPTIONS.graceMs;

  /** Failure-bucket entries one sweep reads at most. */
  @EnvNumber()
  @IsInt()
  @Min(1)
  @Max(100_000)
  DLQ_RECONCILE_BATCH = DEFAULT_RECONCILE_OPTIONS.batch;

  get boundConsumers(): string[] {
    return this.CONSUMERS.includes('none') ? [] : this.CONSUMERS;
  }

  /**
   * Handlers running at once per consumer in this process. A process holds up to concurrency +
   * prefetch messages per durable (kept alive, so holding is safe however slow the handlers are);
   * 32 + 64 = 96 lets the chart's 10 pods all hold work under the default max_ack_pending of 1000,
   * doubles the I/O-bound throughput of the former 16, and a SIGTERM drains in about three handler
   * durations. Cheap handlers gain from more (see BENCHMARKS.md).
   */
  @EnvNumber()
  @IsInt()
  @Min(1)
  @Max(10_000)
  CONSUMER_CONCURRENCY = 32;

  /**
   * Messages held per consumer beyond the running handlers, so the next pull arrives before the
   * queue runs dry; small keeps work spread across pods and shutdowns short.
   */
  @EnvNumber()
  @IsInt()
  @Min(1)
  @Max(10_000)
  CONSUMER_PREFETCH = 64;

  /**
   * Longest a running handler's message is kept alive (`working()` before each ack wait runs out);
   * a handler still running then is presumed hung and the server redelivers its message. 0: never.
   * Queued messages are kept alive however long they wait.
   */
  @EnvNumber()
  @IsInt()
  @Min(0)
  @Max(86_400_000)
  CONSUMER_MAX_KEEPALIVE_MS = 300_000;

  /** How long a handler marked `idempotent: true` recognises a message it processed (its marker's TTL); default 24 h. */
  @EnvNumber()
  @IsInt()
  @Min(1000)
  CONSUMER_IDEMPOTENCY_HORIZON_MS = DEFAULT_IDEMPOTENCY_HORIZON_MS;

  /**
   * Longest wait for held messages on SIGTERM (keep below terminationGracePeriodSeconds); then the
   * rest is naked for another pod and late handlers settle nothing.
   */
  @EnvNumber()
  @IsInt()
  @Min(0)
  SHUTDOWN_TIMEOUT_MS = 25_000;

  /** Demo knob: pretend each example handler works this long. */
  @EnvNumber()
  @IsInt()
  @Min(0)
  @Max(600_000)
  SIMULATED_WORK_MS = 0;
}
