import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { kubectl, kubectlJson, probeFromPod } from './kube.js';
import { clusterValues, mergeValues, NATS_CLUSTER_IP, NestjetRelease, RELEASE } from './release.js';

// The chart's NetworkPolicies on a CNI that enforces them: kube-router's network
// policy controller runs on the node beside the bridge plugin (which enforces
// none). Each rule is tried from a throwaway pod that should, or should not, get
// through; a pod that reaches cluster DNS shows that a refusal is the policy's.
// kube-router rejects (the client sees a refused connection) where other
// controllers drop (a timeout): both count as blocked; only 'open' got through.

const NAMESPACE = 'nestjet-netpol';
const OUTSIDER = 'nestjet-outsider';
const selector = (component: string) => ({ 'app.kubernetes.io/name': 'nestjet', 'app.kubernetes.io/instance': RELEASE, 'app.kubernetes.io/component': component });

let release: NestjetRelease;
let producer: { host: string; port: number };
const nats = { host: NATS_CLUSTER_IP, port: 4222 };
const dns = { host: '10.96.0.10', port: 53 };
const key = (t: { host: string; port: number }) => `${t.host}:${t.port}`;

beforeAll(async () => {
  release = await NestjetRelease.install(NAMESPACE, mergeValues(clusterValues(1), { consumer: { replicaCount: 1 } }));
  const svc = await kubectlJson<{ spec: { clusterIP: string; ports: Array<{ port: number }> } }>(['-n', NAMESPACE, 'get', 'service', `${RELEASE}-producer`]);
  producer = { host: svc.spec.clusterIP, port: svc.spec.ports[0]!.port };
  await kubectl(['create', 'namespace', OUTSIDER]);
}, 900_000);

afterAll(async () => {
  await kubectl(['delete', 'namespace', OUTSIDER, '--wait=false']).catch(() => undefined);
  await release?.uninstall();
}, 600_000);

describe('NetworkPolicies, enforced by kube-router', () => {
  it('are applied: producer, consumer and NATS each have one', async () => {
    const policies = await kubectlJson<{ items: Array<{ metadata: { name: string } }> }>(['-n', NAMESPACE, 'get', 'networkpolicy']);
    expect(policies.items.map((p) => p.metadata.name).sort()).toEqual([`${RELEASE}-consumer`, `${RELEASE}-nats`, `${RELEASE}-producer`]);
  });

  it('a pod of another namespace reaches neither NATS nor the producer, though it reaches cluster DNS', async () => {
    const reach = await probeFromPod(OUTSIDER, { app: 'outsider' }, [nats, producer, dns]);
    expect(reach[key(dns)]).toBe('open');
    expect(reach[key(nats)]).not.toBe('open');
    expect(reach[key(producer)]).not.toBe('open');
  });

  it("a pod with the release's labels but no role reaches NATS (the NATS policy admits the release) but not the producer", async () => {
    const reach = await probeFromPod(NAMESPACE, { 'app.kubernetes.io/name': 'nestjet', 'app.kubernetes.io/instance': RELEASE }, [nats, producer]);
    expect(reach[key(nats)]).toBe('open');
    expect(reach[key(producer)]).not.toBe('open');
  });

  it("the helm test pod's labels reach the producer; a consumer's reach NATS but not the producer (egress and ingress both say no)", async () => {
    expect(await probeFromPod(NAMESPACE, selector('test'), [producer])).toEqual({ [key(producer)]: 'open' });
    const consumer = await probeFromPod(NAMESPACE, selector('consumer'), [nats, producer]);
    expect(consumer[key(nats)]).toBe('open');
    expect(consumer[key(producer)]).not.toBe('open');
  });
});
