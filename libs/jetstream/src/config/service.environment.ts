import { IsBoolean, IsIn, IsString } from 'class-validator';
import type { LogLevel } from '@nestjs/common';
import { EnvBoolean } from './env-transforms.js';
import { JetStreamEnvironment } from './jetstream.environment.js';

export const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** Settings every nestjet service shares on top of the JetStream ones. */
export class ServiceEnvironment extends JetStreamEnvironment {
  @IsString()
  HOST = '0.0.0.0';

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'log';

  /** Create/update the topology at start-up. For local runs; Kubernetes uses the provision hook Job. */
  @EnvBoolean()
  @IsBoolean()
  AUTO_PROVISION = false;
}
