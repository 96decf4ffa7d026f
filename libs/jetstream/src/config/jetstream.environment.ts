import type { TopologyOptions } from '#contracts';
import { DEFAULT_TOPOLOGY_OPTIONS } from '#contracts';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { EnvList, EnvNumber, EnvNumberList } from './env-transforms.js';

const d = DEFAULT_TOPOLOGY_OPTIONS;

/** NATS connection and topology settings shared by every process that talks to JetStream. */
export class JetStreamEnvironment {
  /** Comma-separated server URLs. */
  @EnvList()
  @IsArray()
  @ArrayMinSize(1)
  @Matches(/^(nats|tls|wss?):\/\/[^\s]+$/, { each: true, message: 'each entry must be a nats://, tls:// or ws(s):// URL' })
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

  @EnvNumber()
  @IsInt()
  @Min(1)
  @Max(5)
  STREAM_REPLICAS: number = d.replicas;

  @EnvNumber()
  @IsInt()
  @Min(0)
  STREAM_MAX_AGE_MS: number = d.maxAgeMs;

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
  DLQ_MAX_AGE_MS: number = d.dlqMaxAgeMs;

  /** Streams declared by other services whose dead letters should land in our DLQ too. */
  @EnvList()
  @IsArray()
  @Matches(/^[A-Za-z0-9_-]+$/, { each: true, message: 'each entry must be a stream name' })
  DLQ_EXTRA_STREAMS: string[] = d.dlqExtraStreams;

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
      dlqMaxAgeMs: this.DLQ_MAX_AGE_MS,
      dlqExtraStreams: this.DLQ_EXTRA_STREAMS,
    };
  }
}
