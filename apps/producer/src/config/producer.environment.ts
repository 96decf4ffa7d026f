import { EnvNumber, ServiceEnvironment } from '#jetstream';
import { IsInt, Max, Min } from 'class-validator';

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

  /** Value of Retry-After on 503. */
  @EnvNumber()
  @IsInt()
  @Min(0)
  RETRY_AFTER_SECONDS = 2;
}
