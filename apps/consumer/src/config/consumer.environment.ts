import { ConfigurationError, DEFAULT_IDEMPOTENCY_HORIZON_MS, DEFAULT_RECONCILE_OPTIONS, DLQ_ROUTER_DURABLE, EnvBoolean, EnvList, EnvNumber, groupOfUser, ServiceEnvironment } from '#jetstream';
import { consumerGroupOf, consumerGroups, consumerNameOf, ORDER_CONSUMERS, type Topology } from '#contracts';
import { ArrayMinSize, IsArray, IsBoolean, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

export class ConsumerEnvironment extends ServiceEnvironment {
  /** Port for /healthz and /readyz. */
  @EnvNumber()
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT = 3001;

  /**
   * The consumer group this process runs (a deployment per group, NATS user `consumer-<group>`);
   * default: the group NATS_USER names. With a group, CONSUMERS defaults to the group's consumers
   * and may name no other group's.
   */
  @IsOptional()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/)
  CONSUMER_GROUP?: string;

  /** Consumers this process serves (comma-separated); `none` for a DLQ-router-only worker. Default: the group's, else every consumer. */
  @IsOptional()
  @EnvList()
  @IsArray()
  @ArrayMinSize(1)
  @IsString({ each: true })
  CONSUMERS?: string[];

  /**
   * Run the dead-letter router in this process (one shared durable, safe in several pods). It needs
   * the `dlq` NATS user (NATS_USER=dlq or DLQ_NATS_*), so that is the default: on where that
   * credential is given, off in a consumer group's worker, which has none.
   */
  @IsOptional()
  @EnvBoolean()
  @IsBoolean()
  DLQ_ROUTER_ENABLED?: boolean;

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

  get consumerGroup(): string | undefined {
    return this.CONSUMER_GROUP ?? groupOfUser(this.NATS_USER);
  }

  get routerEnabled(): boolean {
    return this.DLQ_ROUTER_ENABLED ?? (this.NATS_USER === 'dlq' || this.deadLetterConnectionOptions() !== undefined);
  }

  /** The consumers to bind: CONSUMERS, else the group's, else every one; a consumer of another group is a configuration error. */
  boundConsumers(topology: Topology): string[] {
    const group = this.consumerGroup;
    const workers = topology.consumers.filter((c) => c.durable !== DLQ_ROUTER_DURABLE);
    if (group !== undefined && !consumerGroups({ consumers: workers }).includes(group)) {
      throw new ConfigurationError([`CONSUMER_GROUP: no consumer of the topology is in group "${group}"`]);
    }
    const listed = this.CONSUMERS ?? (group ? [...new Set(workers.filter((c) => consumerGroupOf(c) === group).map(consumerNameOf))] : Object.values(ORDER_CONSUMERS));
    if (listed.includes('none')) return [];
    if (group !== undefined) {
      const foreign = listed.filter((name) => workers.some((c) => consumerNameOf(c) === name && consumerGroupOf(c) !== group));
      if (foreign.length > 0) throw new ConfigurationError([`CONSUMERS: ${foreign.join(', ')} not in consumer group "${group}" (its NATS user may not pull them)`]);
    }
    return listed;
  }

  /** The router needs the dlq user: a consumer group's worker without one would only be refused by the server. */
  checkRouter(): void {
    if (this.routerEnabled && this.NATS_USER !== 'dlq' && this.deadLetterConnectionOptions() === undefined && groupOfUser(this.NATS_USER) !== undefined) {
      throw new ConfigurationError(['DLQ_ROUTER_ENABLED: the DLQ router needs the dlq NATS user (NATS_USER=dlq or DLQ_NATS_*), not a consumer group\'s']);
    }
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
  CONSUMER_CONCURRENCY = 64;

  /**
   * Messages held per consumer beyond the running handlers, so the next pull arrives before the
   * queue runs dry: with 64 running, 256 held was the fastest of the settings measured (issue 25,
   * docs/performance.md). Every held message is kept alive, so slow handlers stay safe; a stopping
   * pod finishes (or, past SHUTDOWN_TIMEOUT_MS, naks) what it holds.
   */
  @EnvNumber()
  @IsInt()
  @Min(1)
  @Max(10_000)
  CONSUMER_PREFETCH = 256;

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
