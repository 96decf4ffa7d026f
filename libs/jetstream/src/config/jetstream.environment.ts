import { DEFAULT_TOPOLOGY_OPTIONS, type Topology, type TopologyOptions } from '#contracts';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateIf,
} from 'class-validator';
import type { NatsConnectionOptions } from '../connection/nats-connection.js';
import { DEFAULT_AUDIT_OPTIONS, withAudit, type AuditOptions } from '../audit/audit.topology.js';
import { DEFAULT_DEAD_LETTER_OPTIONS, withDeadLetters, type DeadLetterOptions } from '../dead-letter/dead-letter.topology.js';
import { withProcessedMarkers } from '../idempotency/idempotency.topology.js';
import { withCounters } from '../counters/counter.topology.js';
import { withSchedules } from '../schedule/schedule.topology.js';
import { withRedelivery } from '../redelivery/redelivery.topology.js';
import { groupOfUser, NATS_COMPONENTS, natsInboxPrefix, type NatsComponent } from '../security/nats-permissions.js';
import { EnvBoolean, EnvList, EnvNumber, EnvNumberList } from './env-transforms.js';
import { IsReadableFile, NoPlaintextAuth } from './env-validators.js';

const d = DEFAULT_TOPOLOGY_OPTIONS;

/** NATS connection and topology settings shared by every process that talks to JetStream. */
export class JetStreamEnvironment {
  /** Comma-separated server URLs. */
  @EnvList()
  @IsArray()
  @ArrayMinSize(1)
  @Matches(/^(nats|tls|wss?):\/\/[^\s]+$/, { each: true, message: 'each entry must be a nats://, tls:// or ws(s):// URL' })
  @NoPlaintextAuth()
  NATS_URL: string[] = ['nats://127.0.0.1:4222'];

  @IsOptional()
  @IsString()
  NATS_CREDS_FILE?: string;

  @IsOptional()
  @IsString()
  NATS_USER?: string;

  @IsOptional()
  @IsString()
  NATS_PASSWORD?: string;

  @IsOptional()
  @IsString()
  NATS_TOKEN?: string;

  /** The dead-letter connection's credentials (the `dlq` user); unset: dead letters use the main connection. */
  @IsOptional()
  @IsString()
  DLQ_NATS_USER?: string;

  @IsOptional()
  @IsString()
  DLQ_NATS_PASSWORD?: string;

  @IsOptional()
  @IsString()
  DLQ_NATS_CREDS_FILE?: string;

  /** CA that signed the server certificate; with it the client requires TLS. */
  @IsOptional()
  @IsReadableFile()
  NATS_TLS_CA?: string;

  /** Client certificate and key for mTLS, both or neither. */
  @ValidateIf((e: JetStreamEnvironment) => e.NATS_TLS_CERT !== undefined || e.NATS_TLS_KEY !== undefined)
  @IsReadableFile()
  NATS_TLS_CERT?: string;

  @ValidateIf((e: JetStreamEnvironment) => e.NATS_TLS_CERT !== undefined || e.NATS_TLS_KEY !== undefined)
  @IsReadableFile()
  NATS_TLS_KEY?: string;

  /** Send a password or token over plain nats:// to a non-loopback host anyway (refused otherwise). */
  @EnvBoolean()
  @IsBoolean()
  NATS_ALLOW_PLAINTEXT_AUTH = false;

  @EnvNumber()
  @IsInt()
  @Min(1)
  @Max(5)
  STREAM_REPLICAS: number = d.replicas;

  @EnvNumber()
  @IsInt()
  @Min(0)
  STREAM_MAX_AGE_MS: number = d.maxAgeMs;

  /** Size of each domain stream; full, it refuses new messages (507 at the ingress). -1: unlimited, no backpressure before the server runs out of storage. */
  @EnvNumber()
  @IsInt()
  @Min(-1)
  STREAM_MAX_BYTES: number = d.maxBytes;

  @EnvNumber()
  @IsInt()
  @Min(100)
  STREAM_DUPLICATE_WINDOW_MS: number = d.duplicateWindowMs;

  @EnvNumber()
  @IsInt()
  @Min(100)
  CONSUMER_ACK_WAIT_MS: number = d.ackWaitMs;

  @EnvNumber()
  @IsInt()
  @Min(1)
  @Max(1000)
  CONSUMER_MAX_DELIVER: number = d.maxDeliver;

  @EnvNumber()
  @IsInt()
  @Min(1)
  CONSUMER_MAX_ACK_PENDING: number = d.maxAckPending;

  @EnvNumberList()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsInt({ each: true })
  @Min(0, { each: true })
  CONSUMER_RETRY_DELAYS_MS: number[] = d.retryDelaysMs;

  @EnvNumber()
  @IsInt()
  @Min(60_000)
  DLQ_MAX_AGE_MS: number = DEFAULT_DEAD_LETTER_OPTIONS.maxAgeMs;

  /** Streams declared by other services whose dead letters should land in our DLQ too. */
  @EnvList()
  @IsArray()
  @Matches(/^[A-Za-z0-9_-]+$/, { each: true, message: 'each entry must be a stream name' })
  DLQ_EXTRA_STREAMS: string[] = DEFAULT_DEAD_LETTER_OPTIONS.extraStreams;

  /** Size of the DLQ stream; full, it refuses new records and the router retries them. */
  @EnvNumber()
  @IsInt()
  @Min(1024)
  DLQ_MAX_BYTES: number = DEFAULT_DEAD_LETTER_OPTIONS.maxBytes;

  /** Size of each of DLQ_ADVISORIES, DLQ_REJECTED and the replay-mark bucket. */
  @EnvNumber()
  @IsInt()
  @Min(1024)
  DLQ_ADVISORIES_MAX_BYTES: number = DEFAULT_DEAD_LETTER_OPTIONS.advisoriesMaxBytes;

  /** Size of the failure bucket (nestjet_failures). */
  @EnvNumber()
  @IsInt()
  @Min(1024)
  DLQ_FAILURES_MAX_BYTES: number = DEFAULT_DEAD_LETTER_OPTIONS.failuresMaxBytes;

  /**
   * Partitions of ordered topics: the ingress hashes the ordering key into one
   * and an ordered consumer has a durable per partition, so at most this many
   * workers share its work. Producer and consumers must agree; changing it
   * moves keys to other partitions, so drain the ordered consumers first.
   */
  @EnvNumber()
  @IsInt()
  @Min(1)
  @Max(256)
  ORDERING_PARTITIONS: number = d.partitions;

  /** How long an ordered consumer's partition stays with a worker that stopped pulling (died) before another takes it over. */
  @EnvNumber()
  @IsInt()
  @Min(1000)
  ORDERED_PINNED_TIMEOUT_MS: number = d.pinnedTimeoutMs;

  /** Size of the processed-marker bucket (nestjet_processed) of idempotent handlers. */
  @EnvNumber()
  @IsInt()
  @Min(1024)
  PROCESSED_MARKERS_MAX_BYTES: number = 256 * 1024 ** 2;

  /** Attempts per advisory before the router parks it (it stays in DLQ_ADVISORIES). */
  @EnvNumber()
  @IsInt()
  @Min(2)
  @Max(10_000)
  DLQ_ROUTER_MAX_DELIVER: number = DEFAULT_DEAD_LETTER_OPTIONS.routerMaxDeliver;

  /** How long the AUDIT stream keeps admin-action records; the oldest kept record then starts the verifiable chain. */
  @EnvNumber()
  @IsInt()
  @Min(1)
  @Max(36_500)
  AUDIT_MAX_AGE_DAYS: number = DEFAULT_AUDIT_OPTIONS.maxAgeMs / (24 * 3600_000);

  /** Size of the AUDIT stream; full, it refuses new records (actions go on and are logged as unrecorded). */
  @EnvNumber()
  @IsInt()
  @Min(1024)
  AUDIT_MAX_BYTES: number = DEFAULT_AUDIT_OPTIONS.maxBytes;

  /**
   * The main connection of a process that acts as `component`: replies arrive
   * in that component's inbox (see `natsInboxPrefix`), or in the inbox of the
   * generated user NATS_USER names (a consumer group's `consumer-<group>`; a
   * router-only worker may run as `dlq`).
   */
  connectionOptions(component?: string): NatsConnectionOptions {
    return {
      servers: this.NATS_URL,
      user: this.NATS_USER,
      pass: this.NATS_PASSWORD,
      token: this.NATS_TOKEN,
      credsFile: this.NATS_CREDS_FILE,
      ...this.transportOptions(componentNamed(this.NATS_USER) ?? component),
    };
  }

  /** The dead-letter connection (`dlq` user), or undefined when no DLQ_NATS_* credential is set. */
  deadLetterConnectionOptions(): NatsConnectionOptions | undefined {
    if (!this.DLQ_NATS_USER && !this.DLQ_NATS_PASSWORD && !this.DLQ_NATS_CREDS_FILE) return undefined;
    return {
      servers: this.NATS_URL,
      user: this.DLQ_NATS_USER,
      pass: this.DLQ_NATS_PASSWORD,
      credsFile: this.DLQ_NATS_CREDS_FILE,
      ...this.transportOptions(componentNamed(this.DLQ_NATS_USER) ?? 'dlq'),
    };
  }

  private transportOptions(component: string | undefined): Pick<NatsConnectionOptions, 'tls' | 'inboxPrefix' | 'allowPlaintextAuth'> {
    const tls = this.NATS_TLS_CA || this.NATS_TLS_CERT ? { caFile: this.NATS_TLS_CA, certFile: this.NATS_TLS_CERT, keyFile: this.NATS_TLS_KEY } : undefined;
    return { tls, inboxPrefix: component ? natsInboxPrefix(component) : undefined, allowPlaintextAuth: this.NATS_ALLOW_PLAINTEXT_AUTH };
  }

  /**
   * Everything to provision and serve: the domain's declarations (`declare`,
   * e.g. `buildTopology` of libs/contracts) with these settings, plus the
   * per-durable redelivery subjects, the dead-letter streams, the schedules stream (sourcing due messages back
   * under topic and redelivery subjects alike), the shared counters, the audit stream and the processed-marker bucket.
   */
  topology(declare: (options: TopologyOptions) => Topology): Topology {
    const replicas = this.STREAM_REPLICAS;
    const withInfrastructure = withDeadLetters(withRedelivery(declare(this.topologyOptions())), this.deadLetterOptions());
    const withCounterStream = withCounters(withSchedules(withInfrastructure, { replicas }), { replicas });
    const withAuditTrail = withAudit(withCounterStream, this.auditOptions());
    return withProcessedMarkers(withAuditTrail, { replicas, maxBytes: this.PROCESSED_MARKERS_MAX_BYTES });
  }

  auditOptions(): AuditOptions {
    return { maxAgeMs: this.AUDIT_MAX_AGE_DAYS * 24 * 3600_000, maxBytes: this.AUDIT_MAX_BYTES, replicas: this.STREAM_REPLICAS };
  }

  topologyOptions(): TopologyOptions {
    return {
      replicas: this.STREAM_REPLICAS,
      maxAgeMs: this.STREAM_MAX_AGE_MS,
      maxBytes: this.STREAM_MAX_BYTES,
      duplicateWindowMs: this.STREAM_DUPLICATE_WINDOW_MS,
      ackWaitMs: this.CONSUMER_ACK_WAIT_MS,
      maxDeliver: this.CONSUMER_MAX_DELIVER,
      maxAckPending: this.CONSUMER_MAX_ACK_PENDING,
      retryDelaysMs: this.CONSUMER_RETRY_DELAYS_MS,
      partitions: this.ORDERING_PARTITIONS,
      pinnedTimeoutMs: this.ORDERED_PINNED_TIMEOUT_MS,
    };
  }

  deadLetterOptions(): DeadLetterOptions {
    return {
      maxAgeMs: this.DLQ_MAX_AGE_MS,
      extraStreams: this.DLQ_EXTRA_STREAMS,
      replicas: this.STREAM_REPLICAS,
      ackWaitMs: this.CONSUMER_ACK_WAIT_MS,
      maxBytes: this.DLQ_MAX_BYTES,
      advisoriesMaxBytes: this.DLQ_ADVISORIES_MAX_BYTES,
      failuresMaxBytes: this.DLQ_FAILURES_MAX_BYTES,
      routerMaxDeliver: this.DLQ_ROUTER_MAX_DELIVER,
    };
  }
}

/** The generated user a NATS user name is, when it is one: a component, a consumer group's `consumer-<group>` or the tests' all-groups `consumer`. */
function componentNamed(user: string | undefined): string | undefined {
  if (user === undefined) return undefined;
  return (NATS_COMPONENTS as readonly string[]).includes(user) || user === 'consumer' || groupOfUser(user) !== undefined ? user : undefined;
}
