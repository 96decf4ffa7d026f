import 'reflect-metadata';
import { shutdownTracing, startTracing } from '#telemetry';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Controller, Module, type DynamicModule, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, type CustomTransportStrategy, type MicroserviceOptions } from '@nestjs/microservices';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { rssMiB } from '../test/support/process-memory.js';
import { DrainClock } from './drain-clock.js';

/**
 * Consumer peer: @horizon-republic/nestjs-jetstream (HR), built from its source
 * in BENCH_HR_PEER_DIR (not a dependency of this repo), set up as its docs show:
 * `JetstreamModule.forRoot()`, the `JetstreamStrategy` from DI connected to a
 * hybrid app (no HTTP listener), a no-op `@EventPattern` handler; HR acks
 * after the handler returns.
 *
 * Same backlog as the other sides: HR binds the existing stream ORDERS
 * (management `manual`: it creates or changes no stream, and only warns that
 * ORDERS is not a workqueue) and provisions its own durable BENCH_DURABLE on it
 * (management `auto`, HR's consumer config). HR routes a message to a handler
 * by its exact subject (no wildcards), so the worker lists the subjects under
 * `orders.created.` in ORDERS and registers one pattern each, under HR's
 * subjectPrefix `orders.created`; HR's durable then filters on exactly those.
 *
 * BENCH_HR_SETTINGS=defaults: HR's own defaults (consumer max_ack_pending 100,
 * ack_wait 10 s, max_deliver 3; consume() with nats.js's max_messages 100;
 * concurrency unlimited). BENCH_HR_SETTINGS=matched: nestjet's bench tuning,
 * events.concurrency = BENCH_CONCURRENCY (64), events.consume.max_messages =
 * BENCH_PREFETCH (256) and events.consumer.max_ack_pending = their sum (320):
 * HR queues whatever the server delivers, so max_ack_pending is what bounds
 * its messages in flight, as concurrency + prefetch bounds nestjet's.
 * BENCH_HR_TRACING=1: the repo's OTel SDK (startTracing, OTEL_* env; needs an
 * OTLP endpoint) with HR's `otel: { enabled: true }`; otherwise no SDK runs
 * and HR's tracing calls hit the no-op API, as nestjet's do with tracing off.
 */
const STREAM = 'ORDERS';
const PREFIX = 'orders.created';
// Everything HR's dist imports that this process imports too: one copy each, or Nest and OTel state splits.
const SHARED = ['@nestjs/common', '@nestjs/core', '@nestjs/microservices', '@nats-io/jetstream', '@nats-io/kv', '@nats-io/transport-node', '@nats-io/nuid', '@opentelemetry/api', 'rxjs', 'reflect-metadata'];

/** The part of HR's exports used here (its package is not a dependency of this repo). */
interface HrPackage {
  JetstreamModule: { forRoot(options: Record<string, unknown>): DynamicModule };
  JetstreamStrategy: Type<CustomTransportStrategy>;
  ManagementMode: { Auto: string; Manual: string };
}

const dir = process.env.BENCH_HR_PEER_DIR;
if (!dir) throw new Error('BENCH_HR_PEER_DIR: the directory of a built @horizon-republic/nestjs-jetstream (see BENCHMARKS.md)');
const repoModules = fileURLToPath(new URL('../../node_modules/', import.meta.url));
for (const pkg of SHARED) {
  const theirs = join(dir, 'node_modules', pkg);
  let resolved: string | undefined;
  try {
    resolved = realpathSync(theirs);
  } catch {}
  if (resolved !== realpathSync(join(repoModules, pkg))) {
    throw new Error(`${theirs} must link to ${join(repoModules, pkg)}: HR has to load this process's copy (ln -s ${join(repoModules, pkg.split('/')[0]!)} ${join(dir, 'node_modules')}/)`);
  }
}

const mode = process.env.BENCH_HR_SETTINGS ?? 'defaults';
if (mode !== 'defaults' && mode !== 'matched') throw new Error(`BENCH_HR_SETTINGS=${mode}: defaults or matched`);
const tracing = process.env.BENCH_HR_TRACING === '1';
if (tracing && !startTracing('hr-bench-consumer')) throw new Error('BENCH_HR_TRACING=1 needs OTEL_EXPORTER_OTLP_ENDPOINT (the SDK starts only with an endpoint)');

const hr = (await import(pathToFileURL(join(dir, 'dist', 'index.js')).href)) as HrPackage;
const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;

const user = process.env.NATS_USER;
const pass = process.env.NATS_PASSWORD;
const nc = await connect({ servers: process.env.NATS_URL!, user, pass, name: 'bench-hr-subjects' });
const info = await (await jetstreamManager(nc)).streams.info(STREAM, { subjects_filter: `${PREFIX}.>` });
await nc.close();
const patterns = Object.keys(info.state.subjects ?? {}).map((s) => s.slice(PREFIX.length + 1)).sort();
if (patterns.length === 0) throw new Error(`${STREAM} holds no ${PREFIX}.> messages to consume`);

const clock = new DrainClock(Number(process.env.BENCH_MESSAGES));

@Controller()
class HrNoopHandler {
  @EventPattern<string[]>(patterns)
  handle(): void {
    clock.tick();
  }
}

const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 64);
const prefetch = Number(process.env.BENCH_PREFETCH ?? 256);
const settings =
  mode === 'matched'
    ? { concurrency, consume: { max_messages: prefetch }, consumer: { durable_name: process.env.BENCH_DURABLE!, max_ack_pending: concurrency + prefetch } }
    : { consumer: { durable_name: process.env.BENCH_DURABLE! } };

@Module({
  imports: [
    hr.JetstreamModule.forRoot({
      name: 'hr-bench',
      servers: [process.env.NATS_URL!],
      connectionOptions: { name: 'bench-hr', user, pass },
      // Off: no dead letters can arise here, and HR would otherwise provision a DLQ stream of its own.
      dlq: false,
      events: {
        ...settings,
        stream: { name: STREAM },
        subjectPrefix: PREFIX,
        management: { stream: hr.ManagementMode.Manual, consumer: hr.ManagementMode.Auto },
      },
      ...(tracing ? { otel: { enabled: true } } : {}),
    }),
  ],
  controllers: [HrNoopHandler],
})
class HrModule {}

const app = await NestFactory.create(HrModule, new FastifyAdapter(), { logger: process.env.BENCH_HR_LOG === '1' ? ['error', 'warn', 'log'] : false });
app.connectMicroservice<MicroserviceOptions>({ strategy: app.get(hr.JetstreamStrategy) });
await app.startAllMicroservices();
await app.init();
process.stdout.write(`${JSON.stringify({ event: 'bench.listening' })}\n`);
await clock.done;
const rate = clock.rate;
const rss = await rssMiB(process.pid);
await app.close();
await shutdownTracing();
process.stdout.write(`${JSON.stringify({ event: 'bench.done', rate, rssMiB: rss, peer: `@horizon-republic/nestjs-jetstream ${version}`, settings: { mode, ...settings }, subjects: patterns.length, tracing })}\n`);
