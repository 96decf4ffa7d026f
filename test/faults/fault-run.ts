import { setTimeout as sleep } from 'node:timers/promises';
import { AppGroup, processed, provision, startConsumer, startProducer, type AppProcess, type NatsEndpoint } from '#test-support';
import { judge, type FaultOutcome } from './fault-outcome.js';
import { PublishLoad } from './publish-load.js';

/** A broker set up for one scenario, with the fault it suffers. */
export interface FaultBroker {
  nats: NatsEndpoint;
  /** STREAM_REPLICAS to provision with. */
  replicas: number;
  /** Extra environment of provision and the apps (e.g. to allow password auth over a private test network). */
  env?: Record<string, string>;
  /** Guarantees the fault itself saw broken (e.g. no recovery without a restart), added to the verdict. */
  violations?: string[];
  /** Injects the fault and heals it (restart, reconnect, free space); returns what it did, for the report. */
  fault(load: PublishLoad, apps: FaultApps): Promise<string>;
  dispose(): Promise<void>;
}

/** The app processes under load, for scenarios that crash them too. */
export interface FaultApps {
  /** SIGKILLs the producer and starts a new one on the same port (clients meanwhile get refused connections). */
  killProducer(): Promise<void>;
  /** SIGKILLs the consumer and starts a new one (what it held is redelivered after the ack wait). */
  killConsumer(): Promise<void>;
}

export interface FaultScenario {
  id: string;
  title: string;
  /** Why it cannot run here (e.g. not root), or undefined. */
  unavailable?(): string | undefined;
  start(): Promise<FaultBroker>;
  /** Statuses the load's client retries besides 503 and no answer (507 while a disk is full). */
  retryStatuses?: number[];
}

export interface FaultResult {
  scenario: FaultScenario;
  status: 'passed' | 'failed' | 'skipped';
  reason?: string;
  detail?: string;
  outcome?: FaultOutcome;
}

export interface FaultRunOptions {
  /** Orders started per second during the run. */
  ratePerSecond?: number;
  /** Load before the fault and after it healed. */
  warmUpMs?: number;
  coolDownMs?: number;
  /** Receives progress lines. */
  log?: (line: string) => void;
}

/** Fast failure detection in the apps, a generous client: what a careful production client does. */
const PRODUCER_ENV = { PUBLISH_DEADLINE_MS: '3000', PUBLISH_ATTEMPT_TIMEOUT_MS: '1000', RETRY_AFTER_SECONDS: '1', RATE_LIMIT_MAX: '100000', PUBLISH_BYTES_MAX: '100000000000' };
const CONSUMER_ENV = { CONSUMER_CONCURRENCY: '8', CONSUMER_PREFETCH: '16', CONSUMER_MAX_DELIVER: '20', CONSUMER_ACK_WAIT_MS: '5000' };

/**
 * One scenario end to end: broker, provision, producer and consumer processes,
 * a REST publish load with client retries, the fault, then the verdict. Every
 * process, namespace and mount is torn down however it ends.
 */
export async function runFault(scenario: FaultScenario, options: FaultRunOptions = {}): Promise<FaultResult> {
  const log = options.log ?? (() => undefined);
  const unavailable = scenario.unavailable?.();
  if (unavailable) return { scenario, status: 'skipped', reason: unavailable };
  const apps = new AppGroup();
  let broker: FaultBroker | undefined;
  let load: PublishLoad | undefined;
  try {
    broker = await scenario.start();
    const env = { STREAM_REPLICAS: String(broker.replicas), ...CONSUMER_ENV, ...broker.env };
    await provision(broker.nats, env);
    const producer = await startProducer(broker.nats, { ...env, ...PRODUCER_ENV });
    await apps.add(producer.app);
    const consumers = [await apps.add(startConsumer(broker.nats, env))];
    let producerApp = producer.app;
    const crash = async (app: AppProcess) => {
      app.signal('SIGKILL');
      await app.waitForExit();
    };
    const control: FaultApps = {
      killProducer: async () => {
        await crash(producerApp);
        producerApp = (await startProducer(broker!.nats, { ...env, ...PRODUCER_ENV, PORT: new URL(producer.url).port })).app;
        await apps.add(producerApp);
      },
      killConsumer: async () => {
        await crash(consumers.at(-1)!);
        consumers.push(await apps.add(startConsumer(broker!.nats, env)));
      },
    };
    log(`${scenario.id}: load at ${options.ratePerSecond ?? 20}/s`);
    load = new PublishLoad(producer.url, { ratePerSecond: options.ratePerSecond ?? 20, retryStatuses: [429, ...(scenario.retryStatuses ?? [])] }).start();
    await sleep(options.warmUpMs ?? 2000);
    const from = Date.now();
    const detail = await broker.fault(load, control);
    const to = Date.now();
    log(`${scenario.id}: ${detail} (${((to - from) / 1000).toFixed(1)} s)`);
    await sleep(options.coolDownMs ?? 3000);
    await load.stop();
    const outcome = await judge(broker.nats, load, () => processed(consumers), { from, to });
    outcome.violations.push(...(broker.violations ?? []));
    const consumer = consumers.at(-1)!;
    if (!producerApp.running || !consumer.running) outcome.violations.push(`an app process died: ${producerApp.running ? consumer.tail(5) : producerApp.tail(5)}`);
    return { scenario, status: outcome.violations.length === 0 ? 'passed' : 'failed', detail, outcome };
  } catch (err) {
    return { scenario, status: 'failed', reason: err instanceof Error ? err.message : String(err) };
  } finally {
    await load?.stop().catch(() => undefined);
    await apps.stopAll();
    await broker?.dispose();
  }
}

const seconds = (ms: number) => (ms / 1000).toFixed(1);

/** The results as a Markdown table, then one line per failure or skip, then `N passed, M failed`. */
export function faultReport(results: FaultResult[]): string {
  const head = '| scenario | held? | 202s | stored once | processed ≥1 per durable | duplicate processings | longest unavailability (s) | p99 publish latency during fault (ms) |';
  const rows = results.map((r) => {
    const o = r.outcome;
    const held = r.status === 'skipped' ? `skipped (${r.reason})` : r.status === 'passed' ? 'yes' : 'NO';
    if (!o) return `| ${r.scenario.title} | ${held} | | | | | | |`;
    return `| ${r.scenario.title} | ${held} | ${o.accepted} | ${o.storedOnce} | ${o.processedByAll} | ${o.duplicateProcessings} | ${seconds(o.longestUnavailabilityMs)} | ${o.p99FaultLatencyMs ?? '–'} |`;
  });
  const notes = results.flatMap((r) => {
    const refusals = r.outcome ? Object.entries(r.outcome.refusals).map(([s, n]) => `${s === '0' ? 'no answer' : s}×${n}`).join(', ') : '';
    const catchUp = r.outcome ? `; consumers caught up ${seconds(r.outcome.catchUpMs)} s after the fault healed` : '';
    const lines = [`- ${r.scenario.id}: ${r.detail ?? (r.status === 'skipped' ? r.reason : 'did not complete')}${catchUp}${refusals ? `; refused attempts: ${refusals}` : ''}${r.outcome?.unaccepted ? `; ${r.outcome.unaccepted} orders never accepted (client gave up)` : ''}`];
    for (const [status, detail] of Object.entries(r.outcome?.refusalDetails ?? {})) lines.push(`  - ${status}: "${detail}"`);
    if (r.status === 'failed') lines.push(...(r.outcome?.violations ?? [r.reason ?? 'failed']).map((v) => `  - FAILED: ${v}`));
    return lines;
  });
  const passed = results.filter((r) => r.status === 'passed').length;
  const failed = results.filter((r) => r.status === 'failed').length;
  return [head, '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |', ...rows, '', ...notes, '', `${passed} passed, ${failed} failed`].join('\n');
}
