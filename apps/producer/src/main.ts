import './instrumentation.js';
import 'reflect-metadata';
import { exitOnConfigurationError, validateEnvironment } from '#jetstream';
import { PinoLogger } from '#telemetry';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { ProducerEnvironment } from './config/producer.environment.js';
import { setUpOpenApi } from './openapi.js';
import { ProducerModule } from './producer.module.js';

async function bootstrap(): Promise<void> {
  const env = exitOnConfigurationError(() => validateEnvironment(ProducerEnvironment));
  const logger = new PinoLogger('producer', env.LOG_LEVEL);
  const adapter = new FastifyAdapter({ bodyLimit: env.BODY_LIMIT_BYTES });
  const app = await NestFactory.create<NestFastifyApplication>(ProducerModule.forRoot(env), adapter, { logger });
  app.enableShutdownHooks();
  setUpOpenApi(app, process.env.npm_package_version ?? '0.1.0');
  await app.listen(env.PORT, env.HOST);
  logger.log({ event: 'producer.ready', url: await app.getUrl() });
}

void bootstrap();
