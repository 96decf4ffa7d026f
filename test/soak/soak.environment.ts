import { EnvNumber } from '#jetstream';
import { IsInt, IsNumber, Max, Min } from 'class-validator';

/** `npm run soak` settings, validated once before anything starts. */
export class SoakEnvironment {
  /** Orders sent through the REST ingress. */
  @EnvNumber()
  @IsInt()
  @Min(1000)
  SOAK_MESSAGES = 1_000_000;

  /** Requests started per second; the default leaves this 2-core machine headroom with broker, producer, consumer and client on it (see BENCHMARKS.md). */
  @EnvNumber()
  @IsInt()
  @Min(1)
  @Max(20_000)
  SOAK_RATE = 800;

  /** Sampling period of RSS, heap and event-loop delay. */
  @EnvNumber()
  @IsInt()
  @Min(500)
  SOAK_SAMPLE_MS = 5000;

  /** Share of the run before the first compared window. */
  @EnvNumber()
  @IsNumber()
  @Min(0)
  @Max(0.5)
  SOAK_WARMUP_FRACTION = 0.1;

  /** Share of the run each compared window covers. */
  @EnvNumber()
  @IsNumber()
  @Min(0.02)
  @Max(0.25)
  SOAK_WINDOW_FRACTION = 0.1;

  /** Largest accepted growth of RSS and event-loop delay, last window over the first after warm-up. */
  @EnvNumber()
  @IsNumber()
  @Min(0)
  SOAK_MAX_GROWTH = 0.1;
}
