import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { ORDERS_STREAM } from '#contracts';
import { inspect, waitFor, type Processed } from '#test-support';
import { judge } from '../faults/fault-outcome.js';
import { PublishLoad } from '../faults/publish-load.js';
import { containerPid, kubectl, kubectlJson, log, type PodLogCollector, readyPods } from './kube.js';
import { clusterValues, CONSUMER_SELECTOR, disposeLoadTarget, installLoadTarget, type LoadTarget, mergeValues, type NestjetRelease, RELEASE } from './release.js';

// A 3-node NATS cluster in the release (R3 streams) under REST load: a consumer
// pod is deleted, then a NATS server is SIGKILLed on the node (its container,
// not the pod, as a crashed process or an OOM kill would end it). Every 202 must
// be stored once and processed by each durable it routes to.

const NAMESPACE = 'nestjet-nats3';
const natsSelector = `app.kubernetes.io/instance=${RELEASE},app.kubernetes.io/component=nats`;

const values = mergeValues(clusterValues(3), { consumer: { replicaCount: 2, simulatedWorkMs: 5 } });
let release: NestjetRelease;
let collector: PodLogCollector;
let producerUrl: string;

let target: LoadTarget | undefined;

beforeAll(async () => {
  target = await installLoadTarget(NAMESPACE, values, '3 NATS servers, R3 streams');
  ({ release, collector, producerUrl } = target);
}, 900_000);

afterAll(() => disposeLoadTarget(target), 600_000);

describe('NATS cluster in the release', () => {
  it('runs three NATS servers with R3 streams', async () => {
    expect(await readyPods(NAMESPACE, natsSelector)).toHaveLength(3);
    const { nc, jsm } = await inspect(await release.nats());
    try {
      const info = await jsm.streams.info(ORDERS_STREAM);
      expect(info.config.num_replicas).toBe(3);
      expect((info.cluster?.replicas ?? []).length).toBe(2);
    } finally {
      await nc.close();
    }
  });

  it('processes every 202 when a consumer pod is deleted and a NATS server is killed on the node', async () => {
    const load = new PublishLoad(producerUrl, { ratePerSecond: 40, retryForMs: 120_000 }).start();
    await sleep(5000);
    const from = Date.now();
    const [victim] = await readyPods(NAMESPACE, CONSUMER_SELECTOR);
    await kubectl(['-n', NAMESPACE, 'delete', 'pod', victim!, '--wait=false']);
    log(`deleted consumer pod ${victim}`);
    await sleep(8000);

    const { nc, jsm } = await inspect(await release.nats());
    const leader = (await jsm.streams.info(ORDERS_STREAM)).cluster!.leader!;
    await nc.close();
    const pod = await kubectlJson<{ status: { containerStatuses: Array<{ name: string; containerID: string; restartCount: number }> } }>(['-n', NAMESPACE, 'get', 'pod', leader]);
    const nats = pod.status.containerStatuses.find((c) => c.name === 'nats')!;
    const pid = containerPid(nats.containerID);
    process.kill(pid, 'SIGKILL');
    log(`SIGKILLed nats-server (node PID ${pid}) of ${leader}, the ORDERS stream leader`);
    await waitFor(`${leader} restarted by the kubelet`, async () => {
      const p = await kubectlJson<{ status: { containerStatuses: Array<{ name: string; restartCount: number; ready: boolean }> } }>(['-n', NAMESPACE, 'get', 'pod', leader]);
      const c = p.status.containerStatuses.find((s) => s.name === 'nats')!;
      return c.restartCount > nats.restartCount && c.ready;
    }, 180_000, 1000);
    const to = Date.now();
    await sleep(8000);
    await load.stop();

    const outcome = await judge(await release.nats(), load, () => collector.of('message.processed') as unknown as Processed[], { from, to }, 240_000);
    log(
      `faults: ${outcome.accepted} accepted, ${outcome.storedOnce} stored once, ${outcome.processedByAll} processed by all durables, ${outcome.duplicateProcessings} duplicate processings, refusals ${JSON.stringify(outcome.refusals)}, longest unavailability ${(outcome.longestUnavailabilityMs / 1000).toFixed(1)} s`,
    );
    expect(outcome.violations).toEqual([]);
    expect(outcome.accepted).toBeGreaterThan(0);
  }, 900_000);
});
