import './instrumentation.js';
import 'reflect-metadata';
import type { Topology } from '#contracts';
import { exitOnConfigurationError, JETSTREAM_TOPOLOGY, validateEnvironment } from '#jetstream';
import { PinoLogger, serviceVersion } from '#telemetry';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AuditRecorder } from './audit/audit.recorder.js';
import { registerAuthentication } from './auth/auth.hooks.js';
import { registerPublishScopeCheck } from './auth/publish-scope.hook.js';
import { Authenticator } from './auth/authenticator.js';
import { ProducerEnvironment } from './config/producer.environment.js';
import { serveConsole } from './console/console.static.js';
import { fastifyOptions } from './http/http-server.js';
import { acceptEventBodies } from './http/event-bodies.js';
import { acceptEmptyJsonBody } from './http/json-body.js';
import { registerMethodNotAllowed } from './http/method-not-allowed.js';
import { registerRequestTracing } from './http/request-tracing.js';
import { warmUp } from './http/warm-up.js';
import { setUpOpenApi } from './openapi.js';
import { ProducerModule } from './producer.module.js';
import { registerQuotas } from './quotas/quota.hooks.js';
import { QuotasService } from './quotas/quotas.service.js';

async function bootstrap(): Promise<void> {
  const env = exitOnConfigurationError(() => validateEnvironment(ProducerEnvironment));
  const authenticator = exitOnConfigurationError(() => Authenticator.fromEnvironment(env));
  const logger = new PinoLogger('producer', env.LOG_LEVEL);
  if (authenticator.open) {
    logger.warn({ event: 'auth.disabled', msg: 'AUTH_MODE=none: every route is open to anyone who can reach this port; never use this outside local experiments' });
  }
  const adapter = new FastifyAdapter(fastifyOptions(env));
  const app = await NestFactory.create<NestFastifyApplication>(ProducerModule.forRoot(env), adapter, { logger, bodyParser: false });
  app.enableShutdownHooks();
  const fastify = app.getHttpAdapter().getInstance();
  acceptEmptyJsonBody(fastify); // with bodyParser: false above, this is the only JSON parser
  acceptEventBodies(fastify);
  // Order matters: authentication first, because the caller decides whether its traceparent is continued (the span
  // starts back at arrival, so it still covers authentication); both before the quotas, which key on the caller.
  const quotas = () => app.get(QuotasService);
  registerAuthentication(fastify, authenticator, env, quotas);
  registerRequestTracing(fastify);
  registerPublishScopeCheck(fastify);
  registerMethodNotAllowed(fastify); // after authentication's hooks, before any route is added
  registerQuotas(fastify, quotas);
  setUpOpenApi(app, serviceVersion());
  await serveConsole(app, env, logger);
  // Before listen: /readyz cannot say ready while the code is still cold.
  await app.init();
  const audit = app.get(AuditRecorder);
  if (env.API_KEYS_FILE) authenticator.onKeysReloaded((reload) => void audit.recordKeysReload(reload, env.API_KEYS_FILE!));
  const warm = await warmUp(fastify, authenticator, app.get<Topology>(JETSTREAM_TOPOLOGY).topics, env.WARM_UP_REQUESTS);
  logger.log({ event: 'producer.warmed-up', ...warm });
  await app.listen(env.PORT, env.HOST);
  logger.log({ event: 'producer.ready', url: await app.getUrl(), auth: authenticator.describe() });
}

void bootstrap();
