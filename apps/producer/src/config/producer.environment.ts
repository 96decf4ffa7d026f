import { EnvBoolean, EnvNumber, ServiceEnvironment } from '#jetstream';
import { IsBoolean, IsInt, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';

export class ProducerEnvironment extends ServiceEnvironment {
  @EnvNumber()
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT = 3000;

  /** Larger request bodies get 413. */
  @EnvNumber()
  @IsInt()
  @Min(1024)
  @Max(64 * 1024 * 1024)
  BODY_LIMIT_BYTES = 1024 * 1024;

  @EnvNumber()
  @IsInt()
  @Min(1)
  @Max(10_000)
  BATCH_MAX_MESSAGES = 100;

  /** Whole publish deadline including retries; past it the ingress answers 503. */
  @EnvNumber()
  @IsInt()
  @Min(50)
  PUBLISH_DEADLINE_MS = 5_000;

  @EnvNumber()
  @IsInt()
  @Min(10)
  PUBLISH_ATTEMPT_TIMEOUT_MS = 2_000;

  /** Serve the DLQ admin API (/v1/dlq); turn off on ingress-only deployments. */
  @EnvBoolean()
  @IsBoolean()
  ADMIN_API_ENABLED = true;

  /** When set, admin routes require `Authorization: Bearer <token>`. */
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'ADMIN_TOKEN must be at least 16 characters' })
  ADMIN_TOKEN?: string;

  /** Value of Retry-After on 503. */
  @EnvNumber()
  @IsInt()
  @Min(0)
  RETRY_AFTER_SECONDS = 2;
}
