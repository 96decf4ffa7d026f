import 'reflect-metadata';
import { buildTopology, consumerNameOf, UnknownTopicError, wildcardMatches, type Topology, type TopologyOptions } from '#contracts';
import {
  appPullTransport,
  connectNats,
  consumerBindings,
  DeadLetterModule,
  DeadLetterService,
  encodeTopicEvent,
  JetStreamAdmin,
  JetStreamEnvironment,
  JetStreamModule,
  JetStreamPublisher,
  validateEnvironment,
  type DeadLetter,
  type DeadLetterFilter,
  type HeaderEntries,
  type PublishResult,
} from '#jetstream';
import { jetstreamManager, type ConsumerInfo, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { Module, type DynamicModule, type ForwardReference, type INestApplication, type LoggerService, type LogLevel, type Provider, type Type } from '@nestjs/common';
import { ModulesContainer, NestFactory } from '@nestjs/core';
import { PATTERN_EXTRAS_METADATA } from '@nestjs/microservices/constants.js';
import type { TestNatsUser } from '../nats/nats-users.js';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeSettleState, settled } from './settled.js';
import { testingBroker, type TestingBroker } from './testing-broker.js';

/**
 * Settings a testing app starts with unless `env` says otherwise: a failing
 * handler is retried after 100 and 200 ms and dead-lettered on its third
 * attempt (well under a second); a handler that hangs is redelivered after 5 s.
 */
export const TESTING_DEFAULT_ENV = {
  CONSUMER_RETRY_DELAYS_MS: '100,200',
  CONSUMER_MAX_DELIVER: '3',
  CONSUMER_ACK_WAIT_MS: '5000',
} as const;

/** How long `close()` lets running handlers finish. */
const SHUTDOWN_TIMEOUT_MS = 2_000;
/** `ce-source` of what `publish()` sends. */
const TESTING_SOURCE = '/nestjet/testing';
const DEFAULT_WAIT_MS = 10_000;
const POLL_EVERY_MS = 25;

type ModuleImport = Type | DynamicModule | Promise<DynamicModule> | ForwardReference;

export interface NestjetTestingOptions {
  /** The modules whose handlers (`@JetStreamHandler()` classes) and providers run, e.g. `[OrdersModule]`. */
  imports: ModuleImport[];
  /** Providers every imported module can inject (they are global in the testing app), e.g. the configuration the handlers read. */
  providers?: Provider[];
  /** The domain's declarations; default `buildTopology` of #contracts. Dead letters, schedules and processed-markers are added as in the apps. */
  topology?: (options: TopologyOptions) => Topology;
  /** Settings by their environment variable names (JetStreamEnvironment), over TESTING_DEFAULT_ENV. */
  env?: Record<string, string>;
  /** Consumers to bind (ledger, not ledger-p0); default: every consumer a handler names. */
  consumers?: string[];
  /** A server to use as it is (with NATS_USER/NATS_PASSWORD… from `env` or the process); default NATS_URL of `env` or the process, and without one a nats-server of its own. */
  natsUrl?: string;
  /** Nest logger or log levels; default errors only. */
  logger?: LoggerService | LogLevel[] | false;
}

export interface TestingPublishOptions {
  /** Becomes the `Nats-Msg-Id`: the same key within the duplicate window stores nothing, and handlers see the same `ctx.idempotencyKey()`. */
  idempotencyKey?: string;
  /** The payload's version (`ce-type`), to test a handler's upcasters; the topic's current one by default. */
  version?: number;
  /** Added after the CloudEvents headers the message gets like an ingress message (`ce-*`, `content-type`, the topic's codec). */
  headers?: Record<string, string> | HeaderEntries;
  /** Publish to this subject instead of the one the topic's routing gives the payload (e.g. for a payload routing cannot read). */
  subject?: string;
}

/** A stored message: the PubAck and the subject it went to, which `waitForProcessed` takes. */
export interface Published extends PublishResult {
  subject: string;
}

export interface WaitForProcessedOptions {
  /** Wait for these consumers only; default every bound consumer whose filter takes the subject. */
  consumers?: string[];
  timeoutMs?: number;
}

@Module({})
class NestjetTestingRoot {}

/**
 * Runs handler modules in this process against a real JetStream: a
 * nats-server of its own on free loopback ports (from `.tools/bin`, else
 * PATH) or the one at NATS_URL, the topology provisioned, the app's own
 * JetStreamModule, DeadLetterModule and pull transport as the consumer app
 * wires them. See README "Testing your handlers".
 */
export class NestjetTestingModule {
  static async create(options: NestjetTestingOptions): Promise<NestjetTestingApp> {
    const settings: Record<string, string> = { ...TESTING_DEFAULT_ENV, ...options.env };
    const topology = validateEnvironment(JetStreamEnvironment, settings).topology(options.topology ?? buildTopology);
    const broker = await testingBroker(options.natsUrl ?? options.env?.NATS_URL ?? process.env.NATS_URL, topology, { ...process.env, ...options.env });
    const config = (component: TestNatsUser) => validateEnvironment(JetStreamEnvironment, { ...settings, ...broker.env(component), ...broker.dlqEnv() });
    const opened: NatsConnection[] = [];
    const open = async (component: TestNatsUser) => {
      const nc = await connectNats(config(component).connectionOptions(component), `nestjet-testing-${component}`);
      opened.push(nc);
      return nc;
    };
    let app: INestApplication | undefined;
    try {
      const operator = await open('operator');
      const jsm = await jetstreamManager(operator, { checkAPI: false });
      await new JetStreamAdmin(operator, jsm, topology).provision();
      const publisher = new JetStreamPublisher(await open('producer'), { recordMetrics: false });

      const worker = config('consumer');
      const providers = options.providers ?? [];
      const root: DynamicModule = {
        module: NestjetTestingRoot,
        global: true,
        imports: [
          JetStreamModule.forRoot({ name: 'nestjet-testing', connection: worker.connectionOptions('consumer'), topology }),
          // A dead-letter connection of its own (as the dlq user where there is one), so final failures are dead-lettered directly.
          DeadLetterModule.forRoot({ router: true, connection: worker.deadLetterConnectionOptions() ?? worker.connectionOptions('dlq') }),
          ...options.imports,
        ],
        providers,
        exports: providers,
      };
      app = await NestFactory.create(root, new FastifyAdapter(), { logger: options.logger ?? ['error'] });
      const consumers = options.consumers ?? handlerConsumers(app);
      if (consumers.length === 0) throw new Error('no handler names a consumer (@EventPattern(topic, { consumer })); pass `consumers`');
      const bindings = consumerBindings(topology, consumers, { concurrency: 8, prefetch: 16, maxKeepAliveMs: 60_000 });
      app.connectMicroservice({
        strategy: appPullTransport(app, {
          name: 'nestjet-testing-worker',
          connection: worker.connectionOptions('consumer'),
          bindings,
          shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS,
          idempotencyHorizonMs: idempotencyHorizon(settings.CONSUMER_IDEMPOTENCY_HORIZON_MS),
          topics: topology.topics,
        }),
      });
      await app.init();
      await app.startAllMicroservices();
      const bound = new Set(bindings.map((b) => b.durable));
      return new NestjetTestingApp(app, topology, topology.consumers.filter((c) => bound.has(c.durable)), publisher, jsm, opened, broker);
    } catch (err) {
      await app?.close().catch(() => undefined);
      await Promise.all(opened.map((nc) => nc.close().catch(() => undefined)));
      await broker.dispose();
      throw err;
    }
  }
}

/** A running testing app: publish to its topics, wait until its consumers settled a message, read its dead letters, close it. */
export class NestjetTestingApp {
  private closed = false;

  constructor(
    /** The Nest application: `app.get(...)` reaches the handlers' providers. */
    readonly app: INestApplication,
    /** Everything provisioned: the domain's declarations with dead letters, schedules and processed-markers. */
    readonly topology: Topology,
    /** The durables this app's transport binds (a partitioned consumer's every partition). */
    private readonly bound: Topology['consumers'],
    private readonly publisher: JetStreamPublisher,
    /** A JetStream manager with full read access, for assertions on streams, consumers and buckets. */
    readonly jsm: JetStreamManager,
    private readonly connections: NatsConnection[],
    private readonly broker: TestingBroker,
  ) {}

  /** A provider or handler of the app, e.g. `get(StockReservationsStore)`. */
  get<T>(token: Type<T> | string | symbol): T {
    return this.app.get<T>(token as Type<T>, { strict: false });
  }

  /**
   * Publishes `payload` to the subject the topic's routing gives it, through
   * the library's publisher (as the ingress does, without its validation: a
   * payload the handler's validation refuses is dead-lettered).
   */
  async publish<T extends object>(topic: string, payload: T, options: TestingPublishOptions = {}): Promise<Published> {
    const declared = this.topology.topics.find((t) => t.name === topic);
    if (!declared) throw new UnknownTopicError(topic, this.topology.topics.map((t) => t.name));
    const msgId = options.idempotencyKey ?? randomUUID();
    // On the wire as the ingress would store it: encoded with the topic's codec, with its CloudEvents attributes.
    const wire = encodeTopicEvent({ topic: declared, payload, version: options.version, id: msgId, source: TESTING_SOURCE });
    const subject = options.subject ?? wire.subject;
    const extra = Array.isArray(options.headers) ? options.headers : Object.entries(options.headers ?? {});
    const result = await this.publisher.publish(subject, wire.data, { msgId, headers: [...wire.headers, ...extra], expectStream: declared.stream, topic });
    return { ...result, subject };
  }

  /**
   * Resolves, with the consumers' names, once every bound consumer whose
   * filter takes the message's subject has settled its stream sequence
   * (acked, terminated or given up after its last attempt), read from the
   * consumers' state on the server; rejects after `timeoutMs` (default 10 s)
   * naming the consumers still holding it. A final failure's dead letter is
   * written before it settles, so `deadLetters()` shows it then.
   */
  async waitForProcessed(message: Pick<Published, 'stream' | 'seq' | 'subject'>, options: WaitForProcessedOptions = {}): Promise<string[]> {
    const { stream, seq, subject } = message;
    const receiving = this.bound.filter(
      (c) => c.stream === stream && c.filterSubjects.some((f) => wildcardMatches(f, subject)) && (!options.consumers || options.consumers.includes(consumerNameOf(c))),
    );
    if (receiving.length === 0) {
      const named = options.consumers ? ` among ${options.consumers.join(', ')}` : '';
      throw new Error(`no consumer bound in this testing app${named} receives ${subject} (bound: ${[...new Set(this.bound.map(consumerNameOf))].join(', ')})`);
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
    const deadline = Date.now() + timeoutMs;
    const last = new Map<string, ConsumerInfo>();
    let waiting = receiving;
    while (true) {
      const states = await Promise.all(waiting.map((c) => this.jsm.consumers.info(stream, c.durable).catch(() => undefined)));
      states.forEach((info, i) => info && last.set(waiting[i]!.durable, info));
      waiting = waiting.filter((_, i) => !states[i] || !settled(states[i], seq));
      if (waiting.length === 0) return [...new Set(receiving.map(consumerNameOf))].sort();
      if (Date.now() >= deadline) {
        const detail = waiting.map((c) => describeSettleState(c.durable, last.get(c.durable))).join('; ');
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${stream} seq ${seq} (${subject}) to be settled; still holding it: ${detail}`);
      }
      await sleep(POLL_EVERY_MS);
    }
  }

  /** The DLQ's records, oldest first, through the DLQ service (`consumer` is a durable's name: ledger-p3, not ledger). */
  async deadLetters(filter: DeadLetterFilter = {}): Promise<DeadLetter[]> {
    const service = this.get(DeadLetterService);
    const records: DeadLetter[] = [];
    for (let after = 0; ; ) {
      const page = await service.list(filter, { limit: 500, after });
      records.push(...page.items);
      if (page.next === null) return records;
      after = page.next;
    }
  }

  /** Stops the app (its transport lets running handlers finish for up to 2 s), closes the connections and stops the server it started, removing its store. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.app.close();
    } finally {
      await Promise.all(this.connections.map((nc) => nc.close().catch(() => undefined)));
      await this.broker.dispose();
    }
  }
}

/** CONSUMER_IDEMPOTENCY_HORIZON_MS as the consumer app reads it (a consumer setting, not a JetStreamEnvironment one); unset: the transport's default. */
function idempotencyHorizon(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 1000) throw new Error(`CONSUMER_IDEMPOTENCY_HORIZON_MS must be an integer ≥ 1000, got ${JSON.stringify(value)}`);
  return ms;
}

/** Consumers the app's handlers name in `@EventPattern(topic, { consumer })`. */
function handlerConsumers(app: INestApplication): string[] {
  const names = new Set<string>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const proto = (wrapper.metatype as Type | null)?.prototype as object | undefined;
      if (!proto) continue;
      for (const key of Object.getOwnPropertyNames(proto)) {
        const method: unknown = Object.getOwnPropertyDescriptor(proto, key)?.value;
        if (typeof method !== 'function') continue;
        const extras = Reflect.getMetadata(PATTERN_EXTRAS_METADATA, method) as { consumer?: unknown } | undefined;
        if (typeof extras?.consumer === 'string') names.add(extras.consumer);
      }
    }
  }
  return [...names];
}
