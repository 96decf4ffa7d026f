import { beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { buildTopology, consumerGroupOf, consumerNameOf, DEFAULT_TOPOLOGY_OPTIONS } from '#contracts';
import { CHART_DIR, findObject, helmTemplate, validateObjects, type K8sObject, CHART_CONSUMER_GROUPS, containerOf, envValues, podSpec } from '#test-support';

// Chart unit tests of the consumer groups (one Deployment, NATS user and autoscaler each), asserted on the real
// `helm template` output of each profile; the other rules are in chart-rules.e2e-spec.ts.

const GROUPS = CHART_CONSUMER_GROUPS;

describe('helm chart rules: consumer groups', () => {
  let minimal: K8sObject[];
  let keda: K8sObject[];
  let bundled: K8sObject[];
  let external: K8sObject[];

  beforeAll(async () => {
    [minimal, keda, bundled, external] = await Promise.all(
      ['minimal', 'keda', 'bundled-nats', 'external-nats-tls'].map((p) => helmTemplate({ profiles: [p] })),
    );
  });

  it("ScaledObject per consumer group: one nats-jetstream trigger per durable of that group only (an ordered consumer: per partition durable), as KEDA reads its metadata", () => {
    const expected: Record<string, { durables: string[]; max: number }> = {
      orders: { durables: ['fulfillment', 'notifications', 'fraud-review'], max: 8 },
      // The ledger group's own maximum (values.yaml: consumer.groups.ledger.keda): one pod per partition at most.
      ledger: { durables: Array.from({ length: 8 }, (_, p) => `ledger-p${p}`), max: 8 },
    };
    expect(keda.filter((o) => o.kind === 'ScaledObject').map((o) => o.metadata.name).sort()).toEqual(['nestjet-consumer-ledger', 'nestjet-consumer-orders']);
    for (const [group, { durables, max }] of Object.entries(expected)) {
      const so = findObject(keda, 'ScaledObject', `-consumer-${group}`);
      expect(so.metadata.labels).toMatchObject({ 'app.kubernetes.io/component': 'consumer', 'nestjet.io/consumer-group': group });
      expect(so.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: `nestjet-consumer-${group}` });
      expect(so.spec).toMatchObject({ minReplicaCount: 0, maxReplicaCount: max, pollingInterval: 15, cooldownPeriod: 120 });
      expect(so.spec.triggers).toHaveLength(durables.length);
      so.spec.triggers.forEach((t: { type: string; metadata: Record<string, unknown> }, i: number) => {
        expect(t.type).toBe('nats-jetstream');
        expect(t.metadata).toEqual({
          natsServerMonitoringEndpoint: 'nats-headless.nats.svc.cluster.local:8222',
          account: '$G',
          stream: 'ORDERS',
          consumer: durables[i],
          lagThreshold: '200',
          activationLagThreshold: '5',
          useHttps: 'false',
        });
        // KEDA parses every metadata value from a string.
        for (const v of Object.values(t.metadata)) expect(typeof v).toBe('string');
      });
    }
  });

  it('consumer groups: one Deployment each, as its own NATS user with CONSUMER_GROUP set, holding only its own NATS Secret (and the TLS CA)', () => {
    for (const objects of [minimal, bundled]) {
      const deployments = objects.filter((o) => o.kind === 'Deployment' && o.metadata.labels?.['app.kubernetes.io/component'] === 'consumer');
      expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['nestjet-consumer-ledger', 'nestjet-consumer-orders']);
      for (const group of GROUPS) {
        const d = findObject(objects, 'Deployment', `-consumer-${group}`);
        const nats = `nestjet-nats-consumer-${group}`;
        const env = envValues(d);
        expect(env.CONSUMER_GROUP).toBe(group);
        // CONSUMERS is the app's default for the group: exactly what its user may pull.
        expect('CONSUMERS' in env).toBe(false);
        expect(env.NATS_USER).toEqual({ secretKeyRef: { name: nats, key: 'user' } });
        expect(env.NATS_PASSWORD).toEqual({ secretKeyRef: { name: nats, key: 'password' } });
        // Every Secret the pod can read: its user's, and the CA of the bundled NATS's TLS Secret (a volume of ca.crt only).
        const pod = podSpec(d);
        const secretRefs = [...pod.containers, ...(pod.initContainers ?? [])].flatMap((c: { env: Array<{ valueFrom?: { secretKeyRef?: { name: string } } }> }) =>
          c.env.flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef.name] : [])),
        );
        expect([...new Set(secretRefs)]).toEqual([nats]);
        const secretVolumes = (pod.volumes as Array<{ secret?: { secretName: string; items?: Array<{ key: string }> } }>).filter((v) => v.secret);
        expect(secretVolumes.map((v) => [v.secret!.secretName, v.secret!.items?.map((i) => i.key)])).toEqual([[objects === bundled ? 'nestjet-nats-tls' : 'nats-ca', ['ca.crt']]]);
        expect(pod.initContainers[0].env).toEqual(containerOf(d).env);
        // Selected by the group's own label, under the shared consumer component (NetworkPolicy, Service, PodMonitor).
        expect(d.spec.selector.matchLabels).toEqual({
          'app.kubernetes.io/name': 'nestjet',
          'app.kubernetes.io/instance': 'nestjet',
          'app.kubernetes.io/component': 'consumer',
          'nestjet.io/consumer-group': group,
        });
        expect(d.spec.template.metadata.labels).toMatchObject(d.spec.selector.matchLabels);
        // Its own PDB, over its own pods only.
        expect(findObject(objects, 'PodDisruptionBudget', `-consumer-${group}`).spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: d.spec.selector.matchLabels } });
      }
    }
    // The NetworkPolicy of the consumers still selects every group's pods.
    const policy = findObject(minimal, 'NetworkPolicy', '-consumer');
    for (const group of GROUPS) expect(findObject(minimal, 'Deployment', `-consumer-${group}`).spec.template.metadata.labels).toMatchObject(policy.spec.podSelector.matchLabels);
  });

  it('consumer.groups.<group>: overrides one group on top of consumer.*, enabled=false leaves it out', async () => {
    const objects = await helmTemplate({
      profiles: ['keda'],
      set: {
        'consumer.groups.orders.keda.maxReplicaCount': 20,
        'consumer.groups.orders.resources.limits.memory': '1Gi',
        'consumer.groups.orders.concurrency': 8,
        'consumer.groups.ledger.keda.enabled': false,
        'consumer.groups.ledger.replicaCount': 2,
      },
    });
    await validateObjects(objects);
    const orders = findObject(objects, 'Deployment', '-consumer-orders');
    expect(containerOf(orders).resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '1Gi' } });
    expect(envValues(orders).CONSUMER_CONCURRENCY).toBe('8');
    expect(orders.spec.replicas).toBeUndefined();
    expect(findObject(objects, 'ScaledObject', '-consumer-orders').spec).toMatchObject({ minReplicaCount: 0, maxReplicaCount: 20, pollingInterval: 15 });
    // false overrides true: the ledger runs on a fixed count, without a ScaledObject.
    const ledger = findObject(objects, 'Deployment', '-consumer-ledger');
    expect(ledger.spec.replicas).toBe(2);
    expect(envValues(ledger).CONSUMER_CONCURRENCY).toBe('64');
    expect(objects.filter((o) => o.kind === 'ScaledObject').map((o) => o.metadata.name)).toEqual(['nestjet-consumer-orders']);

    const withoutLedger = await helmTemplate({ profiles: ['minimal'], set: { 'consumer.groups.ledger.enabled': false } });
    expect(withoutLedger.filter((o) => o.metadata.labels?.['nestjet.io/consumer-group']).map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'Deployment/nestjet-consumer-orders',
      'PodDisruptionBudget/nestjet-consumer-orders',
    ]);
    // The helm test waits for the acks of the consumers this release runs: every group's, or the enabled ones'.
    const smokeConsumers = (objects: K8sObject[]) =>
      (findObject(objects, 'Pod', '-smoke-test').spec.containers[0].env as Array<{ name: string; value?: string }>).find((e) => e.name === 'CONSUMERS')?.value;
    expect(smokeConsumers(minimal)).toBe('ledger,fulfillment,notifications,fraud-review');
    expect(smokeConsumers(withoutLedger)).toBe('fulfillment,notifications,fraud-review');
  });

  it("topology.consumerStreams: the defaults are the code's declared topology, and each KEDA trigger reads its durable's stream", async () => {
    // The domain's consumers (an ordered one by name, its durables per partition); the DLQ router's durable is not scaled by KEDA.
    const declared = buildTopology().consumers;
    const consumers = [...new Map(declared.map((c) => [consumerNameOf(c), c.stream])).entries()];
    expect(consumers).toEqual([
      ['fulfillment', 'ORDERS'],
      ['notifications', 'ORDERS'],
      ['fraud-review', 'ORDERS'],
      ['ledger', 'ORDERS'],
    ]);
    const values = parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as {
      topology: { consumerStreams: Record<string, string>; orderedConsumers: string[]; orderingPartitions: number; orderedPinnedTimeoutMs: number };
    };
    expect(values.topology.consumerStreams).toEqual(Object.fromEntries(consumers));
    expect(values.topology.orderedConsumers).toEqual([...new Set(declared.filter((c) => c.partition).map(consumerNameOf))]);
    expect([values.topology.orderingPartitions, values.topology.orderedPinnedTimeoutMs]).toEqual([DEFAULT_TOPOLOGY_OPTIONS.partitions, DEFAULT_TOPOLOGY_OPTIONS.pinnedTimeoutMs]);

    // Each group's triggers are its durables in the declared topology.
    for (const group of GROUPS) {
      const triggers = findObject(keda, 'ScaledObject', `-consumer-${group}`).spec.triggers as Array<{ metadata: Record<string, string> }>;
      expect(triggers.map((t) => [t.metadata.consumer, t.metadata.stream])).toEqual(declared.filter((c) => consumerGroupOf(c) === group).map((c) => [c.durable, c.stream]));
    }
    // Every process gets the same partition count.
    expect(findObject(keda, 'ConfigMap', 'nestjet').data).toMatchObject({ ORDERING_PARTITIONS: '8', ORDERED_PINNED_TIMEOUT_MS: '10000' });
    // Fewer partitions: fewer ledger durables, and at most as many ledger pods (the chart refuses more).
    const four = await helmTemplate({ profiles: ['keda'], set: { 'topology.orderingPartitions': 4, 'consumer.groups.ledger.keda.maxReplicaCount': 4 } });
    expect(findObject(four, 'ScaledObject', '-consumer-ledger').spec.triggers.map((t: { metadata: Record<string, string> }) => t.metadata.consumer)).toEqual(['ledger-p0', 'ledger-p1', 'ledger-p2', 'ledger-p3']);
    // The stream comes from values, per durable.
    const moved = await helmTemplate({ profiles: ['keda'], set: { 'topology.consumerStreams.fraud-review': 'RISK' } });
    expect(findObject(moved, 'ScaledObject', '-consumer-orders').spec.triggers.map((t: { metadata: Record<string, string> }) => t.metadata.stream)).toEqual(['ORDERS', 'ORDERS', 'RISK']);
  });
});
