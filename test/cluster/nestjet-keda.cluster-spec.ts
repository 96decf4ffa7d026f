import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildTopology, consumerGroupMembers, ORDERS_STREAM } from '#contracts';
import { inspect, waitFor, type Processed } from '#test-support';
import { durablesFor, judge } from '../faults/fault-outcome.js';
import { PublishLoad } from '../faults/publish-load.js';
import { helm, kubectl, kubectlJson, log, type PodLogCollector, readyPods } from './kube.js';
import { clusterValues, CONSUMER_SELECTOR, disposeLoadTarget, installLoadTarget, type LoadTarget, mergeValues, type NestjetRelease, RELEASE } from './release.js';

// One release on the cluster that `npm run test:cluster` brought up: bundled NATS
// (one server, TLS on the client port), KEDA scaling the consumers from zero on
// JetStream lag, the DLQ router in a pod of its own. Steps run in order.

const NAMESPACE = 'nestjet-keda';

const KEDA = {
  enabled: true,
  minReplicaCount: 0,
  maxReplicaCount: 4,
  pollingInterval: 5,
  cooldownPeriod: 20,
  lagThreshold: 300,
  activationLagThreshold: 5,
  behavior: { scaleDown: { stabilizationWindowSeconds: 10, policies: [{ type: 'Percent', value: 100, periodSeconds: 5 }] } },
};
// Slow handlers, so 5,000 orders build a lag one pod cannot drain quickly.
const CONSUMER = { simulatedWorkMs: 40, concurrency: 8, prefetch: 16, keda: KEDA };
const values = mergeValues(clusterValues(1), { consumer: CONSUMER });

let release: NestjetRelease;
let collector: PodLogCollector;
let producerUrl: string;
const processedEvents = (): Processed[] => collector.of('message.processed') as unknown as Processed[];

async function deploymentReplicas(name: string): Promise<{ spec: number; ready: number }> {
  const d = await kubectlJson<{ spec: { replicas?: number }; status: { readyReplicas?: number } }>(['-n', NAMESPACE, 'get', 'deployment', name]);
  return { spec: d.spec.replicas ?? 0, ready: d.status.readyReplicas ?? 0 };
}

/** The chart's consumer Deployments, one per consumer group (each with its own ScaledObject). */
const CONSUMER_DEPLOYMENTS = Object.keys(consumerGroupMembers(buildTopology())).map((group) => `${RELEASE}-consumer-${group}`);

/** Replicas of every consumer group's Deployment, summed. */
async function consumerReplicas(): Promise<{ spec: number; ready: number; each: Array<{ spec: number; ready: number }> }> {
  const each = await Promise.all(CONSUMER_DEPLOYMENTS.map(deploymentReplicas));
  return { spec: each.reduce((n, d) => n + d.spec, 0), ready: each.reduce((n, d) => n + d.ready, 0), each };
}

let target: LoadTarget | undefined;

beforeAll(async () => {
  target = await installLoadTarget(NAMESPACE, values, 'bundled NATS, KEDA on');
  ({ release, collector, producerUrl } = target);
}, 900_000);

afterAll(() => disposeLoadTarget(target), 600_000);

describe('helm install on a real cluster', () => {
  it('ran the provision Job before any consumer process started, and every pod is ready', async () => {
    // With NATS in the release the Job runs beside the pods; their init container holds the workers until it is done.
    const job = await kubectlJson<{ status: { succeeded?: number } }>(['-n', NAMESPACE, 'get', 'job', `${RELEASE}-provision-1`]);
    expect(job.status.succeeded).toBe(1);
    type Status = { name: string; state: { running?: { startedAt: string }; terminated?: { exitCode: number; finishedAt: string } } };
    const workers = await kubectlJson<{ items: Array<{ status: { initContainerStatuses?: Status[]; containerStatuses?: Status[] } }> }>([
      '-n',
      NAMESPACE,
      'get',
      'pods',
      '-l',
      `app.kubernetes.io/instance=${RELEASE},app.kubernetes.io/component in (consumer,dlq-router)`,
    ]);
    expect(workers.items.length).toBeGreaterThan(0);
    const { nc, jsm } = await inspect(await release.nats());
    try {
      // The server's creation times of the durables, to the second as Kubernetes records start times.
      // Every durable of the topology on ORDERS (an ordered consumer's partitions included).
      const durables = buildTopology().consumers.filter((c) => c.stream === ORDERS_STREAM).map((c) => c.durable);
      const created = await Promise.all(durables.map(async (d) => Math.floor(Date.parse((await jsm.consumers.info(ORDERS_STREAM, d)).created) / 1000) * 1000));
      for (const pod of workers.items.filter((p) => p.status.containerStatuses?.[0]?.state.running)) {
        const wait = pod.status.initContainerStatuses?.find((c) => c.name === 'wait-for-topology');
        expect(wait?.state.terminated?.exitCode).toBe(0);
        const started = Date.parse(pod.status.containerStatuses![0]!.state.running!.startedAt);
        expect(started).toBeGreaterThanOrEqual(Date.parse(wait!.state.terminated!.finishedAt));
        for (const c of created) expect(started).toBeGreaterThanOrEqual(c);
      }
    } finally {
      await nc.close();
    }
    for (const component of ['producer', 'dlq-router']) {
      const d = await deploymentReplicas(`${RELEASE}-${component}`);
      expect(d.ready).toBeGreaterThan(0);
      expect(d.ready).toBe(d.spec);
    }
    const nats = await readyPods(NAMESPACE, `app.kubernetes.io/instance=${RELEASE},app.kubernetes.io/component=nats`);
    expect(nats).toHaveLength(1);
  });

  it('passes helm test', async () => {
    const out = await helm(['test', RELEASE, '-n', NAMESPACE, '--timeout=3m']);
    log(out.trim().split('\n').slice(-4).join(' | '));
    expect(out).toMatch(/Phase:\s+Succeeded/);
  }, 240_000);
});

describe('KEDA on JetStream lag', () => {
  it('scales the consumers from zero when 5,000 orders pile up, processes every 202, and back to zero; the DLQ router keeps running', async () => {
    await waitFor('KEDA to scale the idle consumer groups to zero', async () => (await consumerReplicas()).spec === 0, 180_000, 2000);
    const load = new PublishLoad(producerUrl, { ratePerSecond: 250, retryForMs: 120_000 }).start();
    const from = Date.now();
    await waitFor('5,000 orders started', () => load.orders.length >= 5000, 120_000, 200);
    await load.stop();
    const to = Date.now();
    // Lag exists from the first accepted order on (KEDA's activation threshold is 5).
    const lagSeenAt = Math.min(...load.accepted().map((o) => o.acceptedAt!));
    const firstReady = await waitFor('a consumer pod ready', async () => ((await consumerReplicas()).ready > 0 ? Date.now() : 0), 120_000, 500);
    // Each group's ScaledObject scales its own Deployment on its own durables' lag.
    const peak = await waitFor('KEDA to add pods beyond the first in a group', async () => {
      const d = await consumerReplicas();
      return d.each.some((g) => g.ready > 1) ? d : undefined;
    }, 180_000, 1000);
    const scaledAt = Date.now();
    log(`KEDA's HPA: ${(await kubectl(['-n', NAMESPACE, 'get', 'hpa', '--no-headers'])).trim()}`);
    log(`KEDA: from the first accepted order (${new Date(lagSeenAt).toISOString()}), first pod ready after ${((firstReady - lagSeenAt) / 1000).toFixed(1)} s, ${peak.ready} ready after ${((scaledAt - lagSeenAt) / 1000).toFixed(1)} s`);

    const outcome = await judge(await release.nats(), load, processedEvents, { from, to, resumed: false }, 300_000);
    log(`5,000 orders: ${outcome.accepted} accepted, ${outcome.storedOnce} stored once, ${outcome.processedByAll} processed by all durables, ${outcome.duplicateProcessings} duplicates`);
    expect(outcome.violations).toEqual([]);
    expect(outcome.accepted).toBe(load.orders.length);

    await waitFor('KEDA to scale the drained consumer groups back to zero', async () => (await consumerReplicas()).spec === 0, 240_000, 2000);
    log(`KEDA: back to zero ${((Date.now() - scaledAt) / 1000).toFixed(1)} s after the scale-up`);
    const router = await deploymentReplicas(`${RELEASE}-dlq-router`);
    expect(router.ready).toBe(1);
  }, 900_000);
});

describe('helm upgrade', () => {
  it('rolls producers and consumers on a changed value under load without losing a message', async () => {
    // Keep consumers running through the upgrade: KEDA holds at least one.
    await release.helm('upgrade', mergeValues(values, { consumer: { keda: { minReplicaCount: 1 } } }));
    await waitFor('one consumer pod ready per group', async () => (await consumerReplicas()).each.every((g) => g.ready >= 1), 180_000, 1000);
    const before = await kubectlJson<{ items: Array<{ metadata: { name: string } }> }>(['-n', NAMESPACE, 'get', 'pods', '-l', `app.kubernetes.io/instance=${RELEASE}`]);
    const load = new PublishLoad(producerUrl, { ratePerSecond: 40, retryForMs: 120_000 }).start();
    await sleep(3000);
    const from = Date.now();
    await release.helm('upgrade', mergeValues(values, { consumer: { simulatedWorkMs: 5, keda: { minReplicaCount: 1 } }, producer: { retryAfterSeconds: 1 } }));
    const to = Date.now();
    await sleep(5000);
    await load.stop();
    const after = await kubectlJson<{ items: Array<{ metadata: { name: string } }> }>(['-n', NAMESPACE, 'get', 'pods', '-l', `app.kubernetes.io/instance=${RELEASE}`]);
    const replaced = before.items.filter((p) => !after.items.some((q) => q.metadata.name === p.metadata.name)).map((p) => p.metadata.name);
    log(`upgrade: ${((to - from) / 1000).toFixed(1)} s, pods replaced: ${replaced.join(', ')}`);
    expect(replaced.some((name) => name.includes('-producer-'))).toBe(true);
    expect(replaced.some((name) => name.includes('-consumer-'))).toBe(true);
    const outcome = await judge(await release.nats(), load, processedEvents, { from, to }, 180_000);
    log(`upgrade under load: ${outcome.accepted} accepted, refusals ${JSON.stringify(outcome.refusals)}, ${outcome.processedByAll} processed by all durables`);
    expect(outcome.violations).toEqual([]);
  }, 600_000);
});

describe('without KEDA', () => {
  it('kubectl scale changes the worker count, and more workers drain the lag faster', async () => {
    // Handlers that wait rather than compute, two at a time per durable per pod: the
    // drain rate is set by the worker count, not by this machine's two cores.
    const slow = { simulatedWorkMs: 100, concurrency: 2, prefetch: 2 };
    await release.helm('upgrade', mergeValues(values, { consumer: { ...slow, keda: { enabled: false }, replicaCount: null } }));
    // `workers` pods per consumer group.
    const scale = (replicas: number) => Promise.all(CONSUMER_DEPLOYMENTS.map((d) => kubectl(['-n', NAMESPACE, 'scale', `deployment/${d}`, `--replicas=${replicas}`])));
    const drain = async (workers: number): Promise<number> => {
      await scale(0);
      await waitFor('no consumer pod', async () => (await kubectlJson<{ items: unknown[] }>(['-n', NAMESPACE, 'get', 'pods', '-l', CONSUMER_SELECTOR])).items.length === 0, 120_000, 1000);
      const load = new PublishLoad(producerUrl, { ratePerSecond: 200, retryForMs: 60_000 }).start();
      await waitFor('600 orders started', () => load.orders.length >= 600, 60_000, 100);
      await load.stop();
      await scale(workers);
      await waitFor(`${workers} consumer pods ready per group`, async () => (await readyPods(NAMESPACE, CONSUMER_SELECTOR)).length === workers * CONSUMER_DEPLOYMENTS.length, 180_000, 500);
      const started = Date.now();
      const expected = load.accepted().flatMap((o) => durablesFor(o).map((d) => `${d}/${o.orderId}`));
      await waitFor('the lag drained', () => {
        const done = new Set(processedEvents().map((p) => `${p.consumer}/${p.orderId}`));
        return expected.every((k) => done.has(k));
      }, 300_000, 250);
      const seconds = (Date.now() - started) / 1000;
      const outcome = await judge(await release.nats(), load, processedEvents, { from: started, to: started, resumed: false }, 10_000);
      expect(outcome.violations).toEqual([]);
      log(`kubectl scale --replicas=${workers}: ${workers} ready pods drained ${outcome.accepted} orders (${expected.length} handler runs) in ${seconds.toFixed(1)} s`);
      return expected.length / seconds;
    };
    const one = await drain(1);
    const three = await drain(3);
    log(`drain rate: 1 pod ${one.toFixed(0)} handler runs/s, 3 pods ${three.toFixed(0)}/s`);
    expect(three).toBeGreaterThan(one * 1.5);
  }, 900_000);
});
