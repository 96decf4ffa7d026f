import { beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DEFAULT_TOPOLOGY_OPTIONS } from '#contracts';
import { DEFAULT_AUDIT_OPTIONS, DEFAULT_DEAD_LETTER_OPTIONS } from '#jetstream';
import { chartWithoutNatsDependency, findObject, helmTemplate, validateObjects, type K8sObject, CHART_CONSUMER_GROUPS, containerOf, envValues, podSpec } from '#test-support';

// Chart unit tests: the rules a reviewer would check by eye, asserted on the real
// `helm template` output of each profile.

const GROUPS = CHART_CONSUMER_GROUPS;
const GROUP_DEPLOYMENTS = GROUPS.map((g) => `-consumer-${g}`);

describe('helm chart rules', () => {
  let minimal: K8sObject[];
  let keda: K8sObject[];
  let bundled: K8sObject[];
  let external: K8sObject[];

  beforeAll(async () => {
    [minimal, keda, bundled, external] = await Promise.all(
      ['minimal', 'keda', 'bundled-nats', 'external-nats-tls'].map((p) => helmTemplate({ profiles: [p] })),
    );
  });

  it('probes: startup and liveness on /healthz, readiness on /readyz, on the named http port', () => {
    for (const name of ['-producer', ...GROUP_DEPLOYMENTS]) {
      const c = containerOf(findObject(minimal, 'Deployment', name));
      expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(c.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
      expect(c.ports).toEqual([{ name: 'http', containerPort: name === '-producer' ? 3000 : 3001, protocol: 'TCP' }]);
    }
  });

  it('security context on every pod the chart runs: non-root, read-only root FS, no escalation, no capabilities, RuntimeDefault seccomp', () => {
    const pods = minimal.filter((o) => o.kind === 'Deployment' || o.kind === 'Job').map(podSpec);
    pods.push(findObject(minimal, 'Pod', '-smoke-test').spec);
    // producer, one consumer per group, DLQ router, provision Job, smoke test.
    expect(pods).toHaveLength(6);
    for (const spec of pods) {
      expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } });
      expect(spec.automountServiceAccountToken).toBe(false);
      for (const c of spec.containers) {
        expect(c.securityContext).toEqual({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          privileged: false,
          capabilities: { drop: ['ALL'] },
        });
        expect(c.resources.requests).toBeDefined();
        expect(c.resources.limits.memory).toBeDefined();
      }
    }
    // A read-only root FS still needs a writable /tmp.
    for (const name of ['-producer', ...GROUP_DEPLOYMENTS]) {
      expect(containerOf(findObject(minimal, 'Deployment', name)).volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    }
  });

  it('grace period is longer than the drain timeout, and the drain timeout reaches every consumer group', () => {
    for (const name of GROUP_DEPLOYMENTS) {
      const consumer = findObject(minimal, 'Deployment', name);
      const drainMs = Number(envValues(consumer).SHUTDOWN_TIMEOUT_MS);
      expect(drainMs).toBe(25_000);
      expect(podSpec(consumer).terminationGracePeriodSeconds * 1000).toBeGreaterThan(drainMs);
    }
  });

  it('provision hook: SA and ConfigMap first (weight -10), then the Job, before any consumer pod with external NATS', () => {
    const hooks = minimal.filter((o) => o.metadata.annotations?.['helm.sh/hook']?.includes('install'));
    expect(hooks.map((o) => [o.kind, o.metadata.annotations!['helm.sh/hook'], o.metadata.annotations!['helm.sh/hook-weight']])).toEqual([
      ['ServiceAccount', 'pre-install,pre-upgrade', '-10'],
      ['ConfigMap', 'pre-install,pre-upgrade', '-10'],
      ['Job', 'pre-install,pre-upgrade', '0'],
    ]);
    const job = findObject(minimal, 'Job', '-provision');
    expect(containerOf(job).args).toEqual(['dist/apps/consumer/src/provision.js']);
    // The Job uses only objects that exist at hook time: its own SA and ConfigMap.
    expect(podSpec(job).serviceAccountName).toBe('nestjet-provision');
    expect(containerOf(job).envFrom).toEqual([{ configMapRef: { name: 'nestjet-provision' } }]);
    expect(findObject(minimal, 'ConfigMap', '-provision').data).toEqual(findObject(minimal, 'ConfigMap', 'nestjet').data);
    expect(podSpec(job).restartPolicy).toBe('Never');
    expect(job.spec.backoffLimit).toBeGreaterThan(0);
  });

  it('provision with bundled NATS: a regular Job per revision (no hook can run before NATS, a post-install one deadlocks --wait), awaited by the consumer pods', () => {
    const job = findObject(bundled, 'Job', '-provision-1');
    expect(job.metadata.name).toBe('nestjet-provision-1');
    expect(job.metadata.annotations?.['helm.sh/hook']).toBeUndefined();
    expect(bundled.filter((o) => o.metadata.annotations?.['helm.sh/hook']?.includes('install'))).toEqual([]);
    const consumer = findObject(bundled, 'Deployment', '-consumer-orders');
    const [wait] = podSpec(consumer).initContainers;
    expect(wait.name).toBe('wait-for-topology');
    expect(wait.args).toEqual(['dist/apps/consumer/src/wait-for-topology.js']);
    // Same identity and settings as the worker it holds back.
    expect(wait.env).toEqual(containerOf(consumer).env);
    expect(wait.envFrom).toEqual(containerOf(consumer).envFrom);
    expect(wait.securityContext).toEqual(containerOf(consumer).securityContext);
    const strictJob = findObject(external, 'Job', '-provision');
    expect(containerOf(strictJob).args).toEqual(['dist/apps/consumer/src/provision.js', '--strict']);
  });

  it('the DLQ router in a Deployment of its own as the dlq user (consumer pods hold no dlq credential), a rolling producer that keeps serving until its endpoints are gone', () => {
    for (const objects of [keda, minimal]) {
      const router = envValues(findObject(objects, 'Deployment', '-dlq-router'));
      expect(router).toMatchObject({ CONSUMERS: 'none', DLQ_ROUTER_ENABLED: 'true', NATS_USER: { secretKeyRef: { name: expect.stringMatching(/-dlq$/), key: 'user' } } });
      expect(Object.keys(router).filter((k) => k.startsWith('DLQ_NATS'))).toEqual([]);
      for (const name of GROUP_DEPLOYMENTS) expect(envValues(findObject(objects, 'Deployment', name)).DLQ_ROUTER_ENABLED).toBe('false');
    }
    const producer = containerOf(findObject(minimal, 'Deployment', '-producer'));
    expect(producer.lifecycle.preStop.exec.command).toEqual(['sleep', '5']);
    expect(podSpec(findObject(minimal, 'Deployment', '-producer')).terminationGracePeriodSeconds).toBeGreaterThan(5);
  });

  it('bundled NATS: URL, KEDA endpoint (headless service) and account point at the nats subchart objects', () => {
    expect(findObject(bundled, 'ConfigMap', 'nestjet').data.NATS_URL).toBe('tls://nestjet-nats.apps.svc.cluster.local:4222');
    expect(findObject(bundled, 'ConfigMap', 'nestjet').data.STREAM_REPLICAS).toBe('3');
    const so = findObject(bundled, 'ScaledObject', '-consumer-orders');
    expect(so.spec.triggers[0].metadata.natsServerMonitoringEndpoint).toBe('nestjet-nats-headless.apps.svc.cluster.local:8222');
    // A release whose name contains "nats" gets unprefixed subchart objects (nats.fullname).
    return helmTemplate({ profiles: ['bundled-nats'], release: 'orders-nats' }).then((objs) => {
      expect(findObject(objs, 'ConfigMap', 'orders-nats-nestjet').data.NATS_URL).toBe('tls://orders-nats.apps.svc.cluster.local:4222');
      // The generated certificate has the name the subchart's `$tplYaml` secretName gives it.
      expect(findObject(objs, 'Secret', 'orders-nats-tls').type).toBe('kubernetes.io/tls');
      expect(findObject(objs, 'Secret', 'orders-nats-routes').data['routes.conf']).toBeDefined();
    });
  });

  it('replicas: no field when KEDA, the HPA or kubectl scale owns the count; fixed count otherwise', async () => {
    const replicasOf = async (profile: string) => {
      const objects = await helmTemplate({ profiles: [profile] });
      return GROUPS.map((group) => findObject(objects, 'Deployment', `-consumer-${group}`).spec.replicas);
    };
    expect(await replicasOf('keda')).toEqual([undefined, undefined]);
    expect(await replicasOf('hpa')).toEqual([undefined, undefined]);
    expect(await replicasOf('manual-scale')).toEqual([undefined, undefined]);
    expect(await replicasOf('fixed-replicas')).toEqual([3, 3]);
    expect(await replicasOf('minimal')).toEqual([1, 1]);
    // One HPA per group, each scaling its own Deployment.
    const hpaObjects = await helmTemplate({ profiles: ['hpa'] });
    for (const group of GROUPS) {
      const hpa = findObject(hpaObjects, 'HorizontalPodAutoscaler', `-consumer-${group}`);
      expect(hpa.spec).toMatchObject({ minReplicas: 1, maxReplicas: 6, scaleTargetRef: { name: `nestjet-consumer-${group}` } });
    }
  });

  it('external NATS with TLS and creds: each component mounts its own .creds file and the CA read-only from existing Secrets, no secret in values', () => {
    const expected: Array<[K8sObject, Record<string, string>]> = [
      [findObject(external, 'Deployment', '-producer'), { 'nats-creds': 'nestjet-producer-creds', 'nats-dlq-creds': 'nestjet-dlq-creds' }],
      [findObject(external, 'Deployment', '-consumer-orders'), { 'nats-creds': 'nestjet-consumer-orders-creds' }],
      [findObject(external, 'Deployment', '-consumer-ledger'), { 'nats-creds': 'nestjet-consumer-ledger-creds' }],
      [findObject(external, 'Deployment', '-dlq-router'), { 'nats-creds': 'nestjet-dlq-creds' }],
      [findObject(external, 'Job', '-provision'), { 'nats-creds': 'nestjet-provisioner-creds' }],
    ];
    for (const [o, creds] of expected) {
      const env = envValues(o);
      expect(env.NATS_CREDS_FILE).toBe('/etc/nestjet/nats/nestjet.creds');
      expect(env.DLQ_NATS_CREDS_FILE).toBe('nats-dlq-creds' in creds ? '/etc/nestjet/nats-dlq/nestjet.creds' : undefined);
      expect(env.NATS_TLS_CA).toBe('/etc/nestjet/nats-tls/ca.crt');
      const volumes = podSpec(o).volumes as Array<{ name: string; secret?: { secretName: string } }>;
      expect(Object.fromEntries(volumes.filter((v) => v.name.endsWith('creds')).map((v) => [v.name, v.secret?.secretName]))).toEqual(creds);
      expect(volumes.find((v) => v.name === 'nats-tls')?.secret?.secretName).toBe('nats-ca');
      expect(containerOf(o).volumeMounts).toContainEqual({ name: 'nats-creds', mountPath: '/etc/nestjet/nats', readOnly: true });
      expect(containerOf(o).volumeMounts).toContainEqual({ name: 'nats-tls', mountPath: '/etc/nestjet/nats-tls', readOnly: true });
    }
    expect(findObject(external, 'ConfigMap', 'nestjet').data.NATS_URL).toMatch(/^tls:\/\/nats-0\..*,tls:\/\/nats-2\./);
    // No password travels: creds files sign a nonce.
    expect(findObject(external, 'ConfigMap', 'nestjet').data.NATS_ALLOW_PLAINTEXT_AUTH).toBeUndefined();
    expect(findObject(external, 'ScaledObject', '-consumer-orders').spec.triggers[0].metadata).toMatchObject({ useHttps: 'true', account: 'ORDERS_ACCOUNT' });
    // The only Secrets the chart renders hold the generated API keys.
    expect(external.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name).sort()).toEqual(['nestjet-admin-api-key', 'nestjet-api-key', 'nestjet-api-keys']);
  });

  it('PUBLIC_URL (ce-dataschema links): the producer Service in the cluster unless producer.publicUrl says otherwise', async () => {
    expect(envValues(findObject(minimal, 'Deployment', '-producer')).PUBLIC_URL).toMatch(/^http:\/\/nestjet-producer\.[a-z0-9-]+\.svc:80$/);
    const set = await helmTemplate({ profiles: ['minimal'], set: { 'producer.publicUrl': 'https://events.example.com' } });
    expect(envValues(findObject(set, 'Deployment', '-producer')).PUBLIC_URL).toBe('https://events.example.com');
  });

  it("admin API and DLQ router: values reach the producer and consumer env; the producer connects as the dlq user only with the admin API, the consumer never (it dead-letters its own durables as its group's user)", async () => {
    const producer = envValues(findObject(minimal, 'Deployment', '-producer'));
    const consumer = envValues(findObject(minimal, 'Deployment', '-consumer-orders'));
    expect(producer.ADMIN_API_ENABLED).toBe('true');
    expect(consumer.DLQ_ROUTER_ENABLED).toBe('false');
    expect('ADMIN_API_ENABLED' in consumer).toBe(false);
    expect('DLQ_ROUTER_ENABLED' in producer).toBe(false);
    for (const env of [producer, consumer]) expect('ADMIN_TOKEN' in env).toBe(false);
    expect(producer.DLQ_NATS_USER).toEqual({ secretKeyRef: { name: 'nestjet-nats-dlq', key: 'user' } });
    expect(producer.DLQ_NATS_PASSWORD).toEqual({ secretKeyRef: { name: 'nestjet-nats-dlq', key: 'password' } });
    expect(Object.keys(consumer).filter((k) => k.startsWith('DLQ_NATS'))).toEqual([]);
    expect(consumer.NATS_USER).toEqual({ secretKeyRef: { name: 'nestjet-nats-consumer-orders', key: 'user' } });

    const off = await helmTemplate({ profiles: ['minimal'], set: { 'producer.adminApi.enabled': false, 'consumer.dlqRouter.enabled': false } });
    await validateObjects(off);
    const producerOff = envValues(findObject(off, 'Deployment', '-producer'));
    const consumerOff = envValues(findObject(off, 'Deployment', '-consumer-orders'));
    expect(producerOff.ADMIN_API_ENABLED).toBe('false');
    expect(consumerOff.DLQ_ROUTER_ENABLED).toBe('false');
    expect(Object.keys(producerOff).filter((k) => k.startsWith('DLQ_NATS'))).toEqual([]);
    expect(Object.keys(consumerOff).filter((k) => k.startsWith('DLQ_NATS'))).toEqual([]);
    expect(off.some((o) => o.kind === 'Deployment' && o.metadata.name.endsWith('-dlq-router'))).toBe(false);
  });

  it("DLQ settings: in the shared ConfigMap and the provision Job's copy, defaults as in the code", async () => {
    for (const name of ['nestjet', '-provision']) {
      expect(findObject(minimal, 'ConfigMap', name).data).toMatchObject({
        DLQ_MAX_AGE_MS: String(DEFAULT_DEAD_LETTER_OPTIONS.maxAgeMs),
        DLQ_EXTRA_STREAMS: DEFAULT_DEAD_LETTER_OPTIONS.extraStreams.join(','),
        // Backpressure is on by default: byte limits as in the code (discard new there).
        DLQ_MAX_BYTES: String(DEFAULT_DEAD_LETTER_OPTIONS.maxBytes),
        STREAM_MAX_BYTES: String(DEFAULT_TOPOLOGY_OPTIONS.maxBytes),
        // The audit trail's retention, as in the code.
        AUDIT_MAX_AGE_DAYS: String(DEFAULT_AUDIT_OPTIONS.maxAgeMs / 86_400_000),
        AUDIT_MAX_BYTES: String(DEFAULT_AUDIT_OPTIONS.maxBytes),
      });
    }
    expect(findObject(minimal, 'ConfigMap', 'nestjet').data.DLQ_MAX_AGE_MS).toBe('1209600000');
    const set = { 'topology.dlqMaxAgeMs': 86_400_000, 'topology.dlqExtraStreams': '{BILLING,SHIPPING}' };
    const changed = await helmTemplate({ profiles: ['minimal'], set });
    for (const name of ['nestjet', '-provision']) {
      expect(findObject(changed, 'ConfigMap', name).data).toMatchObject({ DLQ_MAX_AGE_MS: '86400000', DLQ_EXTRA_STREAMS: 'BILLING,SHIPPING' });
    }
    // The Job reads them through its ConfigMap; app pods roll when they change.
    expect(containerOf(findObject(changed, 'Job', '-provision')).envFrom).toEqual([{ configMapRef: { name: 'nestjet-provision' } }]);
    const checksum = (objects: K8sObject[]) => findObject(objects, 'Deployment', '-consumer-ledger').spec.template.metadata.annotations['checksum/config'];
    expect(checksum(changed)).not.toBe(checksum(minimal));
  });

  it('OpenTelemetry: standard OTEL_* variables per service, export disabled without an endpoint', () => {
    const producer = envValues(findObject(bundled, 'Deployment', '-producer'));
    expect(producer).toMatchObject({
      OTEL_SERVICE_NAME: 'nestjet-producer',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger-collector.observability.svc:4318',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
    });
    for (const name of GROUP_DEPLOYMENTS) expect(envValues(findObject(bundled, 'Deployment', name)).OTEL_SERVICE_NAME).toBe('nestjet-consumer');
    expect(envValues(findObject(minimal, 'Deployment', '-producer')).OTEL_SDK_DISABLED).toBe('true');
  });

  it('PDBs never block a consumer scaled to zero; NetworkPolicy allows DNS, NATS and OTLP egress only', () => {
    for (const name of GROUP_DEPLOYMENTS) expect(findObject(minimal, 'PodDisruptionBudget', name).spec).toMatchObject({ maxUnavailable: 1 });
    expect(findObject(minimal, 'PodDisruptionBudget', '-producer').spec).toMatchObject({ minAvailable: 1 });
    const np = findObject(bundled, 'NetworkPolicy', '-consumer');
    const egressPorts = np.spec.egress.flatMap((e: { ports: Array<{ port: number }> }) => e.ports.map((p) => p.port));
    // 4318: the port of telemetry.otlpEndpoint in the profile.
    expect(egressPorts.sort()).toEqual([4222, 4318, 53, 53].sort());
    expect(np.spec.egress[1].to).toEqual([
      { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'nats', 'app.kubernetes.io/instance': 'nestjet', 'app.kubernetes.io/component': 'nats' } } },
    ]);
  });

  it('PrometheusRule and dashboard embed the files from files/ and render only when the files exist', async () => {
    const withoutFiles = chartWithoutNatsDependency({ 'files/nestjet.rules.yaml': null, 'files/nestjet-dashboard.json': null });
    const enabledNoFiles = await helmTemplate({ chart: withoutFiles, profiles: ['bundled-nats'] });
    expect(enabledNoFiles.some((o) => o.kind === 'PrometheusRule' || o.metadata.name.endsWith('-dashboard'))).toBe(false);
    const rules = 'groups:\n  - name: nestjet\n    rules:\n      - alert: NestjetConsumerLag\n        expr: sum(nestjet_lag) > 1000\n        for: 5m\n';
    const chart = chartWithoutNatsDependency({ 'files/nestjet.rules.yaml': rules, 'files/nestjet-dashboard.json': '{"title":"nestjet"}' });
    const objects = await helmTemplate({ chart, profiles: ['bundled-nats'] });
    await validateObjects(objects);
    const rule = findObject(objects, 'PrometheusRule', 'nestjet');
    expect(rule.spec.groups[0].rules[0]).toEqual({ alert: 'NestjetConsumerLag', expr: 'sum(nestjet_lag) > 1000', for: '5m' });
    const dashboard = findObject(objects, 'ConfigMap', '-dashboard');
    expect(JSON.parse(dashboard.data['nestjet-dashboard.json'])).toEqual({ title: 'nestjet' });
    expect(dashboard.metadata.labels!.grafana_dashboard).toBe('1');
    const off = await helmTemplate({ chart, profiles: ['minimal'] });
    expect(off.some((o) => o.kind === 'PrometheusRule' || o.metadata.name.endsWith('-dashboard'))).toBe(false);
  });

  it('the schema validator rejects broken objects (so a pass above means something)', async () => {
    const deployment = structuredClone(findObject(minimal, 'Deployment', '-consumer-orders'));
    deployment.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    await expect(validateObjects([deployment])).rejects.toThrow(/containerPort must be integer/);
    const so = structuredClone(findObject(keda, 'ScaledObject', '-consumer-orders'));
    so.spec.minReplicaCount = 'zero';
    await expect(validateObjects([so])).rejects.toThrow(/minReplicaCount must be integer/);
    await expect(validateObjects([{ apiVersion: 'example.com/v1', kind: 'Thing', metadata: { name: 'x' } }])).rejects.toThrow(/no schema/);
  });
});
