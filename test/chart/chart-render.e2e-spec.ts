import { describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseDocument, type YAMLMap } from 'yaml';
import {
  CHART_DIR,
  chartWithoutNatsDependency,
  helm,
  helmLint,
  helmTemplate,
  helmTemplateError,
  kindsOf,
  parseManifests,
  ROOT,
  validateObjects,
  type K8sObject,
} from '#test-support';
import { OFFICIAL_NATS_CHART } from './official-nats-chart.js';

const PROFILES = ['minimal', 'keda', 'hpa', 'fixed-replicas', 'manual-scale', 'bundled-nats', 'external-nats-tls'];

/** Leaf paths of a values tree; free-form maps of the nats chart (env, merge, patch) count as leaves. */
function leafPaths(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [prefix];
  if (/(^|\.)(env|merge|patch)$/.test(prefix)) return [prefix];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
}

/** values.yaml of the official nats chart fixture (test/chart/fixtures). */
async function officialNatsValues(): Promise<unknown> {
  const { stdout } = await helm(['show', 'values', OFFICIAL_NATS_CHART]);
  return parse(stdout) as unknown;
}

const natsPermissions = () => JSON.parse(readFileSync(join(CHART_DIR, 'files', 'nats-permissions.json'), 'utf8')) as Record<string, unknown>;
/** The server's env var with a user's password: NATS_CONSUMER_ORDERS_PASSWORD for consumer-orders. */
const passwordEnv = (user: string) => `NATS_${user.toUpperCase().replaceAll('-', '_')}_PASSWORD`;

/** k8s/nats-values.yaml's authorization block: every user of files/nats-permissions.json (one per consumer group included), its password from the server's env. */
function standaloneAuthorization(): { users: Array<{ user: string; password: string; permissions: unknown }> } {
  return { users: Object.entries(natsPermissions()).map(([user, p]) => ({ user, password: `<< $${passwordEnv(user)} >>`, permissions: p })) };
}

/** k8s/nats-values.yaml's container.env: each user's password from the Secret nestjet-nats-<user> an operator creates. */
function standalonePasswordEnv(): Record<string, unknown> {
  return Object.fromEntries(Object.keys(natsPermissions()).map((user) => [passwordEnv(user), { valueFrom: { secretKeyRef: { name: `nestjet-nats-${user}`, key: 'password' } } }]));
}

const MANIFEST_HEADER = '# Rendered from helm/nestjet with k8s/nestjet-values.yaml by test/chart/chart-render.e2e-spec.ts. Do not edit.\n';

async function renderPlainManifests(): Promise<{ apps: string; job: string }> {
  const common = ['template', 'nestjet', chartWithoutNatsDependency(), '--namespace', 'nestjet', '-f', join(ROOT, 'k8s', 'nestjet-values.yaml')];
  const apps = await helm([...common, '--no-hooks']);
  const job = await helm([...common, '--show-only', 'templates/provision-hook.yaml']);
  return { apps: MANIFEST_HEADER + apps.stdout, job: MANIFEST_HEADER + job.stdout };
}

describe('helm chart: lint, render, schema', () => {
  it.each(PROFILES)('profile %s: helm lint --strict passes and every rendered object is schema-valid', async (profile) => {
    const lint = await helmLint({ profiles: [profile] });
    expect(lint).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    expect(lint).not.toMatch(/\[(WARNING|ERROR)\]/);

    const objects = await helmTemplate({ profiles: [profile] });
    expect(objects.length).toBeGreaterThan(8);
    await validateObjects(objects);
    // Every object carries the standard labels, so `-l app.kubernetes.io/instance=` finds it all.
    for (const o of objects) expect(o.metadata.labels?.['app.kubernetes.io/instance']).toBe('nestjet');
    process.stdout.write(`profile ${profile}: ${objects.length} objects: ${[...new Set(objects.map((o) => o.kind))].join(', ')}\n`);
  });

  it('renders the expected objects per profile', async () => {
    const kinds = async (profile: string) => new Set((await helmTemplate({ profiles: [profile] })).map((o) => o.kind));
    const keda = await kinds('keda');
    expect(keda.has('ScaledObject')).toBe(true);
    expect(keda.has('HorizontalPodAutoscaler')).toBe(false);
    const hpa = await kinds('hpa');
    expect(hpa.has('ScaledObject')).toBe(false);
    expect(hpa.has('HorizontalPodAutoscaler')).toBe(true);
    const minimal = await kinds('minimal');
    for (const k of ['ScaledObject', 'HorizontalPodAutoscaler', 'Ingress', 'PodMonitor', 'ServiceMonitor']) expect(minimal.has(k)).toBe(false);
    // Secure by default: NetworkPolicies and the generated API key need no profile.
    for (const k of ['NetworkPolicy', 'Secret']) expect(minimal.has(k)).toBe(true);
    const bundled = await kinds('bundled-nats');
    for (const k of ['ScaledObject', 'Ingress', 'NetworkPolicy', 'PodMonitor']) expect(bundled.has(k)).toBe(true);
  });

  it('rejects bad values through values.schema.json with messages naming the field', async () => {
    const cases: Array<[Record<string, string | number | boolean>, RegExp]> = [
      [{ 'consumer.keda.minReplicaCount': -1 }, /at '\/consumer\/keda\/minReplicaCount': minimum: got -1, want 0/],
      [{ 'consumer.groups.orders.replicas': 2 }, /at '\/consumer\/groups\/orders': additional properties 'replicas' not allowed/],
      [{ 'consumer.groups.orders.keda.maxReplicaCount': -1 }, /at '\/consumer\/groups\/orders\/keda\/maxReplicaCount': minimum: got -1, want/],
      [{ 'consumer.groups.orders.port': 3005 }, /at '\/consumer\/groups\/orders': additional properties 'port' not allowed/],
      [{ 'externalNats.auth.consumer-orders.secret': 'x' }, /at '\/externalNats\/auth\/consumer-orders': additional properties 'secret' not allowed/],
      [{ 'topology.orderingPartitions': 0 }, /at '\/topology\/orderingPartitions': minimum: got 0, want 1/],
      [{ 'topology.orderedPinnedTimeoutMs': 10 }, /at '\/topology\/orderedPinnedTimeoutMs': minimum: got 10, want 1,000/],
      [{ 'consumer.kedaa.enabled': 'true' }, /at '\/consumer': additional properties 'kedaa' not allowed/],
      [{ 'topology.streamReplicas': 7 }, /at '\/topology\/streamReplicas': maximum: got 7, want 5/],
      [{ 'externalNats.urls[0]': 'http://nats:4222' }, /at '\/externalNats\/urls\/0': .*does not match pattern/],
      [{ 'externalNats.monitoringEndpoint': 'http://nats:8222' }, /at '\/externalNats\/monitoringEndpoint'/],
      [{ 'externalNats.auth.type': 'kerberos' }, /at '\/externalNats\/auth\/type': value must be one of 'userPassword', 'creds', 'token', 'none'/],
      [{ 'externalNats.auth.producer.secret': 'x' }, /at '\/externalNats\/auth\/producer': additional properties 'secret' not allowed/],
      [{ 'producer.auth.mode': 'open' }, /at '\/producer\/auth\/mode': value must be one of 'keys', 'none'/],
      [{ 'producer.auth.apiKeys.scopes[0]': 'admin' }, /at '\/producer\/auth\/apiKeys\/scopes\/0': 'admin' does not match pattern/],
      [{ 'producer.auth.apiKeys.generate': 'yes' }, /at '\/producer\/auth\/apiKeys\/generate': got string, want boolean/],
      [{ 'producer.auth.jwt.jwksUrl': 'ftp://idp/keys' }, /at '\/producer\/auth\/jwt\/jwksUrl': 'ftp:\/\/idp\/keys' does not match pattern/],
      // Keys fetched in clear could be swapped on the way, and with them every token.
      [{ 'producer.auth.jwt.jwksUrl': 'http://idp/keys' }, /at '\/producer\/auth\/jwt\/jwksUrl': 'http:\/\/idp\/keys' does not match pattern/],
      // The API key itself has no place in values.
      [{ 'producer.auth.apiKeys.apiKey': 'a-key' }, /at '\/producer\/auth\/apiKeys': additional properties 'apiKey' not allowed/],
      [{ 'producer.ingress.hosts[0].paths[0].path': '/' }, /at '\/producer\/ingress\/hosts\/0': additional properties 'paths' not allowed/],
      [{ 'producer.ingress.routes.admin': true }, /at '\/producer\/ingress\/routes': additional properties 'admin' not allowed/],
      [{ 'networkPolicy.producerFrom[0].podSelector.matchLabels.app': 'x' }, /at '\/networkPolicy': additional properties 'producerFrom' not allowed/],
      [{ 'networkPolicy.keda.podSelector': 'keda' }, /at '\/networkPolicy\/keda\/podSelector': got string, want/],
      [{ 'natsUsers.createSecrets': 'no' }, /at '\/natsUsers\/createSecrets': got string, want boolean/],
      [{ 'natsTls.certManager.duration': '90 days' }, /at '\/natsTls\/certManager\/duration': '90 days' does not match pattern/],
      [{ logLevel: 'trace' }, /at '\/logLevel': value must be one of/],
      [{ 'image.pullPolicy': 'Sometimes' }, /at '\/image\/pullPolicy'/],
      [{ 'topology.consumerStreams.fraud-review': 7 }, /at '\/topology\/consumerStreams\/fraud-review': got number, want string/],
      [{ 'topology.consumerStreams.fraud-review': 'ORDERS.EU' }, /at '\/topology\/consumerStreams\/fraud-review': 'ORDERS.EU' does not match pattern/],
      [{ 'topology.consumerStreams.billing': 'ORDERS' }, /at '\/topology\/consumerStreams': additional properties 'billing' not allowed/],
      [{ 'producer.adminApi.enabled': 'yes' }, /at '\/producer\/adminApi\/enabled': got string, want boolean/],
      [{ 'producer.adminApi.existingSecret': 5 }, /at '\/producer\/adminApi\/existingSecret': got number, want string/],
      // The token itself has no place in values.
      [{ 'producer.adminApi.token': 'a-token-of-32-characters-or-so!!' }, /at '\/producer\/adminApi': additional properties 'token' not allowed/],
      [{ 'consumer.dlqRouter.enabled': 'maybe' }, /at '\/consumer\/dlqRouter\/enabled': got string, want boolean/],
      [{ 'topology.dlqMaxAgeMs': 'forever' }, /at '\/topology\/dlqMaxAgeMs': got string, want integer/],
      [{ 'topology.dlqMaxAgeMs': 1000 }, /at '\/topology\/dlqMaxAgeMs': minimum: got 1,000, want 60,000/],
      [{ 'topology.dlqExtraStreams': 'BILLING' }, /at '\/topology\/dlqExtraStreams': got string, want array/],
      [{ 'topology.dlqExtraStreams[0]': 'billing.eu' }, /at '\/topology\/dlqExtraStreams\/0': 'billing.eu' does not match pattern/],
    ];
    for (const [set, message] of cases) {
      const error = await helmTemplateError({ set });
      expect(error).toMatch(/values don't meet the specifications of the schema/);
      expect(error).toMatch(message);
    }
  });

  it('rejects value combinations the schema cannot express, with a clear message', async () => {
    const cases: Array<[Record<string, string | number | boolean>, RegExp]> = [
      [{ 'consumer.keda.enabled': true, 'consumer.hpa.enabled': true }, /mutually exclusive: two autoscalers would fight/],
      [{ 'consumer.terminationGracePeriodSeconds': 20 }, /must be longer than consumer.shutdownTimeoutMs \(25000 ms\)/],
      [{ 'metrics.serviceMonitor.enabled': true, 'metrics.podMonitor.enabled': true }, /pick one/],
      [{ 'nats.enabled': true, 'topology.streamReplicas': 5 }, /topology.streamReplicas \(5\) exceeds nats.config.cluster.replicas \(3\)/],
      [
        { 'nats.enabled': false, 'externalNats.auth.type': 'creds', 'externalNats.auth.provisioner.existingSecret': '' },
        /externalNats.auth.type=creds needs externalNats.auth.provisioner.existingSecret \(the provisioner NATS user's Secret\)/,
      ],
      [{ 'consumer.keda.enabled': true, 'consumer.keda.minReplicaCount': 5, 'consumer.keda.maxReplicaCount': 2 }, /minReplicaCount must not exceed/],
      [
        { 'consumer.keda.enabled': true, 'consumer.groups.ledger.keda.maxReplicaCount': 12 },
        /consumer.groups.ledger.keda.maxReplicaCount 12 exceeds topology.orderingPartitions 8: the consumers of the group ledger \(ledger\) are all ordered/,
      ],
      [{ 'consumer.keda.enabled': true, 'topology.orderingPartitions': 4 }, /consumer.groups.ledger.keda.maxReplicaCount 8 exceeds topology.orderingPartitions 4/],
      [{ 'consumer.groups.orders.keda.enabled': true, 'consumer.groups.orders.hpa.enabled': true }, /consumer.groups.orders.keda.enabled and consumer.groups.orders.hpa.enabled are mutually exclusive: two autoscalers would fight over the consumer's replicas \(group orders\)/],
      [{ 'consumer.groups.ledger.terminationGracePeriodSeconds': 10 }, /consumer.groups.ledger.terminationGracePeriodSeconds \(10\) must be longer than consumer.shutdownTimeoutMs \(25000 ms\)/],
      [{ 'consumer.groups.billing.replicaCount': 2 }, /consumer.groups.billing: no such consumer group in the topology \(files\/consumer-groups.json has ledger, orders\)/],
      // Removed values say what replaced them.
      [{ 'consumer.durables': '{fulfillment,ledger}' }, /consumer.durables was removed: each consumer group of the topology \(files\/consumer-groups.json: .*"orders":\["fulfillment","notifications","fraud-review"\].*\) runs in its own Deployment <fullname>-consumer-<group> as the NATS user consumer-<group>/],
      [
        { 'nats.enabled': false, 'externalNats.auth.consumer.existingSecret': 'nestjet-nats-consumer' },
        /externalNats.auth.consumer was removed with the all-groups consumer user: .* set externalNats.auth.consumer-<group>.existingSecret for ledger, orders/,
      ],
      [
        { 'nats.enabled': false, 'externalNats.auth.consumer-ledger.existingSecret': '' },
        /externalNats.auth.type=userPassword needs externalNats.auth.consumer-ledger.existingSecret \(the consumer-ledger NATS user's Secret\)/,
      ],
      // A group without its password variable in the bundled server's env could never log in.
      [{ 'nats.enabled': true, 'nats.container.env.NATS_CONSUMER_LEDGER_PASSWORD': 'null' }, /nats.container.env.NATS_CONSUMER_LEDGER_PASSWORD is missing: the bundled NATS server reads the password of the user consumer-ledger from it/],
      // `null` in --set deletes the default entry.
      [
        { 'topology.consumerStreams.fraud-review': 'null' },
        /the consumer group orders runs fraud-review but topology.consumerStreams has no stream for it: set topology.consumerStreams.fraud-review/,
      ],
    ];
    for (const [set, message] of cases) expect(await helmTemplateError({ set })).toMatch(message);
  });

  it('lists every broken value combination in one failure, one message a line', async () => {
    const error = await helmTemplateError({
      set: { 'consumer.keda.enabled': true, 'consumer.hpa.enabled': true, 'metrics.serviceMonitor.enabled': true, 'metrics.podMonitor.enabled': true },
    });
    expect(error.match(/VALUES VALIDATION:/g)).toHaveLength(1);
    const lines = error.split('\n');
    const heading = lines.findIndex((l) => l.endsWith('VALUES VALIDATION:'));
    expect(heading).toBeGreaterThanOrEqual(0);
    expect(lines.slice(heading + 1, heading + 3)).toEqual([
      expect.stringMatching(/^consumer.keda.enabled and consumer.hpa.enabled are mutually exclusive: two autoscalers would fight/),
      expect.stringMatching(/^metrics.serviceMonitor.enabled and metrics.podMonitor.enabled: pick one/),
    ]);
  });

  it('declares the official nats chart as an optional dependency; helm refuses the chart until it is vendored', async () => {
    const chart = parse(readFileSync(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as {
      apiVersion: string;
      dependencies: Array<{ name: string; version: string; repository: string; condition: string }>;
    };
    expect(chart.apiVersion).toBe('v2');
    expect(chart.dependencies).toEqual([
      { name: 'nats', version: '>=1.2.0 <2.0.0', repository: 'https://nats-io.github.io/k8s/helm/charts/', condition: 'nats.enabled' },
    ]);
    // Helm 4 checks dependencies before conditions: with charts/nats missing,
    // even nats.enabled=false fails. This is why tests render a copy without the
    // dependency and why users run `helm dependency build` first (docs/kubernetes.md).
    const error = await helmTemplateError({ chart: CHART_DIR, set: { 'nats.enabled': false } });
    expect(error).toMatch(/found in Chart.yaml, but missing in charts\/ directory: nats/);
  });

  it('passes only keys of the official nats chart to it, in the chart and in k8s/nats-values.yaml', async () => {
    const chartValues = parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as { nats: unknown };
    const bundled = parse(readFileSync(join(CHART_DIR, 'ci', 'bundled-nats-values.yaml'), 'utf8')) as { nats: unknown };
    const standalone = parse(readFileSync(join(ROOT, 'k8s', 'nats-values.yaml'), 'utf8')) as unknown;
    // `enabled` is read by the parent's dependency condition and ignored by the subchart.
    const known = new Set(['enabled', ...leafPaths(await officialNatsValues())]);
    // A `$tplYaml` map stands for the value the official chart templates from it.
    const isKnown = (path: string) => [...known].some((k) => path === k || path === `${k}.$tplYaml` || (/(env|merge|patch)$/.test(k) && path.startsWith(`${k}.`)));
    for (const [source, values] of [
      ['values.yaml', chartValues.nats],
      ['ci/bundled-nats-values.yaml', bundled.nats],
      ['k8s/nats-values.yaml', standalone],
    ] as const) {
      const unknown = leafPaths(values).filter((p) => !isKnown(p));
      expect({ source, unknown }).toEqual({ source, unknown: [] });
    }
    // The durable setting is on by default wherever this repository configures NATS.
    const syncOf = (v: unknown) => (v as { config: { jetstream: { merge: { sync_interval: string } } } }).config.jetstream.merge.sync_interval;
    expect([syncOf(chartValues.nats), syncOf(bundled.nats), syncOf(standalone)]).toEqual(['always', 'always', 'always']);
  });

  it('k8s/: the plain manifests are the chart rendered with k8s/nestjet-values.yaml, and schema-valid', async () => {
    const { apps, job } = await renderPlainManifests();
    const appsFile = join(ROOT, 'k8s', 'nestjet.yaml');
    const jobFile = join(ROOT, 'k8s', 'nestjet-provision-job.yaml');
    const natsFile = join(ROOT, 'k8s', 'nats-values.yaml');
    const natsValues = parseDocument(readFileSync(natsFile, 'utf8'));
    if (process.env.UPDATE_K8S_MANIFESTS === '1') {
      writeFileSync(appsFile, apps);
      writeFileSync(jobFile, job);
      natsValues.setIn(['config', 'merge', 'authorization'], natsValues.createNode(standaloneAuthorization(), { flow: false }));
      // One line per variable: `NAME:` then `valueFrom: { secretKeyRef: {...} }`.
      const env = natsValues.createNode({}) as YAMLMap;
      for (const [name, value] of Object.entries(standalonePasswordEnv())) {
        const entry = natsValues.createNode({}) as YAMLMap;
        entry.set('valueFrom', natsValues.createNode((value as { valueFrom: unknown }).valueFrom, { flow: true }));
        env.set(name, entry);
      }
      natsValues.setIn(['container', 'env'], env);
      writeFileSync(natsFile, natsValues.toString({ lineWidth: 0 }));
    }
    expect(readFileSync(appsFile, 'utf8')).toBe(apps);
    expect(readFileSync(jobFile, 'utf8')).toBe(job);
    // NATS installed on its own gets the users of files/nats-permissions.json.
    expect((natsValues.getIn(['config', 'merge', 'authorization']) as YAMLMap | undefined)?.toJSON()).toEqual(standaloneAuthorization());
    expect((natsValues.getIn(['container', 'env']) as YAMLMap | undefined)?.toJSON()).toEqual(standalonePasswordEnv());
    const objects: K8sObject[] = [...parseManifests(apps), ...parseManifests(job), ...parseManifests(readFileSync(join(ROOT, 'k8s', 'jaeger.yaml'), 'utf8'))];
    await validateObjects(objects);
    // --no-hooks keeps the Job and the helm test Pod out of the apply-able file.
    expect(kindsOf(parseManifests(apps)).some((k) => k.startsWith('Job/') || k.startsWith('Pod/'))).toBe(false);
    expect(parseManifests(job).map((o) => o.kind)).toEqual(['ServiceAccount', 'ConfigMap', 'Job']);
  });
});
