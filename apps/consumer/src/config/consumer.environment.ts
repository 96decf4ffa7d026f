import { DEFAULT_RECONCILE_OPTIONS, EnvBoolean, EnvList, EnvNumber, ServiceEnvironment } from '#jetstream';
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

  /** Handlers running at once per consumer in this process. */
  @EnvNumber()
  @IsInt()
  @Min(1)
  @Max(10_000)
  CONSUMER_CONCURRENCY = 16;

  /** Messages pulled ahead per consumer; small keeps work spread across pods and shutdowns short. */
  @EnvNumber()
  @IsInt()
  @Min(1)
  @Max(10_000)
  CONSUMER_PREFETCH = 64;

  /** Longest wait for in-flight work on SIGTERM; keep below terminationGracePeriodSeconds. */
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
