import './instrumentation.js';
import 'reflect-metadata';
import { buildTopology } from '#contracts';
import { appPullTransport, consumerBindings, exitOnConfigurationError, validateEnvironment } from '#jetstream';
import { PinoLogger } from '#telemetry';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { ConsumerEnvironment } from './config/consumer.environment.js';
import { ConsumerModule } from './consumer.module.js';

async function bootstrap(): Promise<void> {
  const env = exitOnConfigurationError(() => validateEnvironment(ConsumerEnvironment));
  const topology = env.topology(buildTopology);
  const consumers = exitOnConfigurationError(() => {
    env.checkRouter();
    return env.boundConsumers(topology);
  });
  const bindings = consumerBindings(topology, consumers, {
    concurrency: env.CONSUMER_CONCURRENCY,
    prefetch: env.CONSUMER_PREFETCH,
    maxKeepAliveMs: env.CONSUMER_MAX_KEEPALIVE_MS,
  });
  const logger = new PinoLogger('consumer', env.LOG_LEVEL);
  const app = await NestFactory.create<NestFastifyApplication>(ConsumerModule.forRoot(env, topology, consumers), new FastifyAdapter(), {
    logger,
  });
  app.connectMicroservice({
    // Dead-letter hook, rescheduler and processed-markers come from the app's modules.
    strategy: appPullTransport(app, {
      name: 'nestjet-consumer-worker',
      connection: env.connectionOptions('consumer'),
      bindings,
      shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
      idempotencyHorizonMs: env.CONSUMER_IDEMPOTENCY_HORIZON_MS,
      topics: topology.topics,
    }),
  });
  app.enableShutdownHooks();
  // init first: auto-provisioning runs in a bootstrap hook and the consumers must exist before binding.
  await app.init();
  await app.startAllMicroservices();
  await app.listen(env.PORT, env.HOST);
  logger.log({ event: 'consumer.ready', group: env.consumerGroup, consumers, dlqRouter: env.routerEnabled, url: await app.getUrl() });
}

void bootstrap();
