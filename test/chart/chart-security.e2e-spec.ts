import { beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHART_DIR, chartWithoutNatsDependency, findObject, helmTemplate, helmTemplateError, validateObjects, type K8sObject, CHART_CONSUMER_GROUPS, containerOf, podSpec } from '#test-support';

// Security defaults of the chart (issue 9), asserted on `helm template` with
// default values unless a test says otherwise.

/** The chart's NATS users: the components and one per consumer group (files/consumer-groups.json). */
const USERS = ['producer', 'consumer-orders', 'consumer-ledger', 'dlq', 'provisioner', 'operator'];
const GROUPS = CHART_CONSUMER_GROUPS;
const decode = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } };
const envOf = (o: K8sObject): Record<string, EnvVar> => Object.fromEntries((containerOf(o).env as EnvVar[]).map((e) => [e.name, e]));

/** Every Secret a pod reads, by env or volume. */
function secretsOf(o: K8sObject): string[] {
  const fromEnv = (containerOf(o).env as EnvVar[]).flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef.name] : []));
  const fromVolumes = ((podSpec(o).volumes ?? []) as Array<{ secret?: { secretName: string } }>).flatMap((v) => (v.secret ? [v.secret.secretName] : []));
  return [...new Set([...fromEnv, ...fromVolumes])].sort();
}

/** The users of the rendered authorization.conf: name, password variable, permissions. */
function authorizationUsers(objects: K8sObject[]): Array<{ user: string; passwordVar: string; permissions: unknown }> {
  const conf = findObject(objects, 'ConfigMap', '-nestjet-auth').data['authorization.conf'] as string;
  return [...conf.matchAll(/^\s*\{user: "([\w-]+)", password: \$(\w+), permissions: (\{.*\})\}$/gm)].map((m) => ({
    user: m[1]!,
    passwordVar: m[2]!,
    permissions: JSON.parse(m[3]!) as unknown,
  }));
}

describe('helm chart security defaults', () => {
  let defaults: K8sObject[];

  beforeAll(async () => {
    defaults = await helmTemplate();
  });

  it('default values: one NATS Secret per user with a random password, a generated API key stored hashed for the producer, all schema-valid', async () => {
    await validateObjects(defaults);
    for (const user of USERS) {
      const secret = findObject(defaults, 'Secret', `nestjet-nats-${user}`);
      expect(decode(secret.data.user)).toBe(user);
      expect(decode(secret.data.password)).toMatch(/^[A-Za-z0-9]{32}$/);
    }
    const passwords = USERS.map((u) => findObject(defaults, 'Secret', `nestjet-nats-${u}`).data.password);
    expect(new Set(passwords).size).toBe(USERS.length);
    const key = decode(findObject(defaults, 'Secret', 'nestjet-api-key').data.key);
    expect(key).toMatch(/^[A-Za-z0-9]{48}$/);
    const file = JSON.parse(decode(findObject(defaults, 'Secret', 'nestjet-api-keys').data['api-keys.json'])) as unknown;
    // The key handed to publishers publishes only; the admin key is another Secret (issue 24).
    const adminKey = decode(findObject(defaults, 'Secret', 'nestjet-admin-api-key').data.key);
    expect(adminKey).toMatch(/^[A-Za-z0-9]{48}$/);
    const sha = (k: string) => `sha256:${createHash('sha256').update(k).digest('hex')}`;
    expect(file).toEqual([
      { id: 'helm', hash: sha(key), scopes: ['publish:orders.*', 'topics:read'] },
      { id: 'helm-admin', hash: sha(adminKey), scopes: ['topics:read', 'ops:read', 'consumers:manage', 'dlq:read', 'dlq:replay', 'dlq:purge', 'schedules:read', 'schedules:cancel', 'schedules:admin', 'audit:read'] },
    ]);
    // The producer mounts the hashed file only; the plain key is for people and the helm test.
    const producer = findObject(defaults, 'Deployment', '-producer');
    expect(envOf(producer).API_KEYS_FILE!.value).toBe('/etc/nestjet/api-keys/api-keys.json');
    expect(secretsOf(producer)).not.toContain('nestjet-api-key');
    expect(envOf(producer).AUTH_MODE).toBeUndefined();
    expect(envOf(findObject(defaults, 'Pod', '-smoke-test')).SMOKE_API_KEY!.valueFrom).toEqual({ secretKeyRef: { name: 'nestjet-api-key', key: 'key' } });
  });

  it("each pod reads its own NATS user's Secret: the producer never the provisioner's, the consumer never the producer's", () => {
    // nestjet-nats-tls: only its ca.crt is projected into the app pods (NATS_TLS_CA).
    expect(secretsOf(findObject(defaults, 'Deployment', '-producer'))).toEqual(['nestjet-api-keys', 'nestjet-nats-dlq', 'nestjet-nats-producer', 'nestjet-nats-tls']);
    // Each consumer group's pods: its own user's Secret only, never another group's, and no dlq credential
    // (only the router's own Deployment and the admin API hold it).
    for (const group of GROUPS) {
      expect(secretsOf(findObject(defaults, 'Deployment', `-consumer-${group}`))).toEqual([`nestjet-nats-consumer-${group}`, 'nestjet-nats-tls']);
    }
    expect(secretsOf(findObject(defaults, 'Deployment', '-dlq-router'))).toEqual(['nestjet-nats-dlq', 'nestjet-nats-tls']);
    expect(secretsOf(findObject(defaults, 'Job', '-provision-1'))).toEqual(['nestjet-nats-provisioner', 'nestjet-nats-tls']);
    expect(secretsOf(findObject(defaults, 'Pod', '-smoke-test'))).toEqual(['nestjet-api-key', 'nestjet-nats-operator', 'nestjet-nats-tls']);
    const producer = envOf(findObject(defaults, 'Deployment', '-producer'));
    expect(producer.NATS_USER!.valueFrom).toEqual({ secretKeyRef: { name: 'nestjet-nats-producer', key: 'user' } });
    expect(producer.NATS_PASSWORD!.valueFrom).toEqual({ secretKeyRef: { name: 'nestjet-nats-producer', key: 'password' } });
    // No credential is ever a literal value.
    for (const o of defaults.filter((x) => ['Deployment', 'Job', 'Pod'].includes(x.kind))) {
      for (const e of containerOf(o).env as EnvVar[]) if (/PASSWORD|TOKEN|_KEY$/.test(e.name)) expect({ name: e.name, value: e.value }).toEqual({ name: e.name, value: undefined });
    }
    // TLS by default (issue 24): no password travels in plain text, and nothing allows it.
    expect(findObject(defaults, 'ConfigMap', 'nestjet').data.NATS_URL).toMatch(/^tls:\/\//);
    expect(findObject(defaults, 'ConfigMap', 'nestjet').data.NATS_ALLOW_PLAINTEXT_AUTH).toBeUndefined();
  });

  it('bundled NATS authorization: the users and permissions of files/nats-permissions.json, passwords from the environment; the file is what counts', async () => {
    const permissions = JSON.parse(readFileSync(join(CHART_DIR, 'files', 'nats-permissions.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(permissions)).toEqual(USERS);
    // The bundled server's users sorted as the chart ranges them; consumer-orders' password is $NATS_CONSUMER_ORDERS_PASSWORD.
    const sorted = ['producer', 'consumer-ledger', 'consumer-orders', 'dlq', 'provisioner', 'operator'];
    expect(authorizationUsers(defaults)).toEqual(sorted.map((u) => ({ user: u, passwordVar: `NATS_${u.toUpperCase().replaceAll('-', '_')}_PASSWORD`, permissions: permissions[u] })));
    // A changed file changes the server's permissions; a missing user fails the render.
    const changed = structuredClone(permissions) as Record<string, { publish: { allow: string[] } }>;
    changed.producer!.publish.allow = ['orders.created.>'];
    const chart = chartWithoutNatsDependency({ 'files/nats-permissions.json': JSON.stringify(changed) });
    const rendered = authorizationUsers(await helmTemplate({ chart }));
    expect((rendered[0]!.permissions as { publish: { allow: string[] } }).publish.allow).toEqual(['orders.created.>']);
    const { dlq: _dropped, ...withoutDlq } = permissions;
    const broken = chartWithoutNatsDependency({ 'files/nats-permissions.json': JSON.stringify(withoutDlq) });
    expect(await helmTemplateError({ chart: broken })).toMatch(/files\/nats-permissions.json has no permissions for the NATS user dlq/);
  });

  it('NetworkPolicies by default: producer ingress only from the Ingress controller, the helm test and Prometheus; consumer only Prometheus; egress DNS and the NATS pods', () => {
    const nps = defaults.filter((o) => o.kind === 'NetworkPolicy').map((o) => o.metadata.name);
    expect(nps.sort()).toEqual(['nestjet-consumer', 'nestjet-dlq-router', 'nestjet-nats', 'nestjet-producer']);
    const ingressController = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'ingress-nginx' } } };
    const prometheus = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } };
    const helmTest = { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'nestjet', 'app.kubernetes.io/instance': 'nestjet', 'app.kubernetes.io/component': 'test' } } };
    const natsPods = { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'nats', 'app.kubernetes.io/instance': 'nestjet', 'app.kubernetes.io/component': 'nats' } } };
    const egress = [
      {
        ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }],
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
      },
      { ports: [{ port: 4222, protocol: 'TCP' }], to: [natsPods] },
    ];
    const producer = findObject(defaults, 'NetworkPolicy', 'nestjet-producer').spec;
    expect(producer.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(producer.ingress).toEqual([{ ports: [{ port: 'http', protocol: 'TCP' }], from: [ingressController, helmTest, prometheus] }]);
    expect(producer.egress).toEqual(egress);
    const consumer = findObject(defaults, 'NetworkPolicy', 'nestjet-consumer').spec;
    expect(consumer.ingress).toEqual([{ ports: [{ port: 'http', protocol: 'TCP' }], from: [prometheus] }]);
    expect(consumer.egress).toEqual(egress);
  });

  it('NATS NetworkPolicy: client port for nestjet pods and nats-box, routes between NATS pods, monitoring for KEDA and Prometheus only', () => {
    const spec = findObject(defaults, 'NetworkPolicy', 'nestjet-nats').spec;
    const natsPods = { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'nats', 'app.kubernetes.io/instance': 'nestjet', 'app.kubernetes.io/component': 'nats' } } };
    const keda = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'keda' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'keda-operator' } } };
    const prometheus = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } };
    expect(spec.podSelector).toEqual({ matchLabels: natsPods.podSelector.matchLabels });
    expect(spec.policyTypes).toEqual(['Ingress']);
    expect(spec.ingress).toEqual([
      {
        ports: [{ port: 4222, protocol: 'TCP' }],
        from: [
          // producer, consumer, provision Job and helm test: every pod of this release's nestjet.
          { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'nestjet', 'app.kubernetes.io/instance': 'nestjet' } } },
          { podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'nestjet', 'app.kubernetes.io/component': 'nats-box' } } },
        ],
      },
      { ports: [{ port: 6222, protocol: 'TCP' }], from: [natsPods] },
      { ports: [{ port: 8222, protocol: 'TCP' }], from: [keda, prometheus] },
      { ports: [{ port: 7777, protocol: 'TCP' }], from: [prometheus] },
    ]);
    // The release's pods carry those labels.
    for (const o of defaults.filter((x) => ['Deployment', 'Job', 'Pod'].includes(x.kind))) {
      const labels = o.kind === 'Pod' ? o.metadata.labels : o.spec.template.metadata.labels;
      expect(labels).toMatchObject({ 'app.kubernetes.io/name': 'nestjet', 'app.kubernetes.io/instance': 'nestjet' });
    }
  });

  it('networkPolicy.natsExtraFrom admits more clients to the bundled NATS client port only', async () => {
    const objects = await helmTemplate({ set: { 'networkPolicy.natsExtraFrom[0].ipBlock.cidr': '10.20.0.0/16' } });
    await validateObjects(objects);
    const nats = findObject(objects, 'NetworkPolicy', 'nestjet-nats').spec;
    expect(nats.ingress[0].from).toContainEqual({ ipBlock: { cidr: '10.20.0.0/16' } });
    expect(nats.ingress.slice(1).flatMap((r: { from: unknown[] }) => r.from)).not.toContainEqual({ ipBlock: { cidr: '10.20.0.0/16' } });
  });

  it('NetworkPolicy values: selectors, extra callers, OTLP and JWKS ports from their URLs, external NATS ports from its URLs', async () => {
    const objects = await helmTemplate({
      set: {
        'nats.enabled': false,
        'externalNats.urls': '{tls://nats-a.messaging:4443,wss://nats-ws.example.com}',
        'networkPolicy.ingressController.namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name': 'traefik',
        'networkPolicy.ingressController.podSelector': 'null',
        'networkPolicy.producerExtraFrom[0].podSelector.matchLabels.app': 'billing',
        'telemetry.otlpEndpoint': 'https://otel.example.com',
        'producer.auth.jwt.jwksUrl': 'https://idp.example.com:8443/jwks.json',
        'producer.auth.jwt.issuer': 'https://idp.example.com',
        'producer.auth.jwt.audience': 'nestjet',
        'natsAllowPlaintextAuth': false,
      },
    });
    await validateObjects(objects);
    expect(objects.some((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'nestjet-nats')).toBe(false);
    const producer = findObject(objects, 'NetworkPolicy', 'nestjet-producer').spec;
    expect(producer.ingress[0].from.slice(0, 1)).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'traefik' } } }]);
    expect(producer.ingress[0].from).toContainEqual({ podSelector: { matchLabels: { app: 'billing' } } });
    expect(producer.egress.slice(1)).toEqual([
      { ports: [{ port: 4443, protocol: 'TCP' }, { port: 443, protocol: 'TCP' }] },
      { ports: [{ port: 443, protocol: 'TCP' }] },
      { ports: [{ port: 8443, protocol: 'TCP' }] },
    ]);
    // The consumer verifies no JWTs: no JWKS egress.
    expect(findObject(objects, 'NetworkPolicy', 'nestjet-consumer').spec.egress).toHaveLength(3);
    // Off: no policy at all, and NOTES say so.
    const off = await helmTemplate({ set: { 'networkPolicy.enabled': false } });
    expect(off.some((o) => o.kind === 'NetworkPolicy')).toBe(false);
  });

  it('public Ingress: only /v1 by default; health, docs and metrics only when opened', async () => {
    const pathsOf = async (set: Record<string, boolean>) =>
      findObject(await helmTemplate({ set: { 'producer.ingress.enabled': true, ...set } }), 'Ingress', '-producer').spec.rules[0].http.paths.map(
        (p: { path: string; pathType: string }) => `${p.pathType} ${p.path}`,
      );
    expect(await pathsOf({})).toEqual(['Prefix /v1']);
    expect(
      await pathsOf({ 'producer.ingress.routes.health': true, 'producer.ingress.routes.docs': true, 'producer.ingress.routes.metrics': true, 'producer.ingress.routes.console': true }),
    ).toEqual(['Prefix /v1', 'Exact /healthz', 'Exact /readyz', 'Prefix /docs', 'Exact /metrics', 'Prefix /console']);
  });

  it("console values: on by default; Jaeger's query API in the env and the only new egress, on its URL's port", async () => {
    const envOf = (objects: Awaited<ReturnType<typeof helmTemplate>>) =>
      Object.fromEntries(
        (findObject(objects, 'Deployment', '-producer').spec.template.spec.containers[0].env as { name: string; value?: string }[]).map((e) => [e.name, e.value]),
      );
    const defaults = await helmTemplate();
    expect(envOf(defaults)).toMatchObject({ CONSOLE_ENABLED: 'true' });
    expect(envOf(defaults)).not.toHaveProperty('JAEGER_QUERY_URL');
    const egressBefore = findObject(defaults, 'NetworkPolicy', 'nestjet-producer').spec.egress.length;
    const traced = await helmTemplate({
      set: {
        'producer.console.jaegerQueryUrl': 'http://jaeger-query.observability.svc:16686',
        'producer.console.jaegerUiUrl': 'https://jaeger.example.com',
        'networkPolicy.jaegerQueryTo[0].namespaceSelector.matchLabels.name': 'observability',
      },
    });
    await validateObjects(traced);
    expect(envOf(traced)).toMatchObject({ JAEGER_QUERY_URL: 'http://jaeger-query.observability.svc:16686', JAEGER_UI_URL: 'https://jaeger.example.com' });
    const egress = findObject(traced, 'NetworkPolicy', 'nestjet-producer').spec.egress;
    expect(egress).toHaveLength(egressBefore + 1);
    expect(egress).toContainEqual({ ports: [{ port: 16686, protocol: 'TCP' }], to: [{ namespaceSelector: { matchLabels: { name: 'observability' } } }] });
    expect(envOf(await helmTemplate({ set: { 'producer.console.enabled': false } }))).toMatchObject({ CONSOLE_ENABLED: 'false' });
    expect(await helmTemplateError({ set: { 'producer.console.jaegerQueryUrl': 'jaeger:16686' } })).toMatch(/jaegerQueryUrl/);
  });

  it('REST auth values: none, your own key file, JWT; the chart generates nothing it does not use', async () => {
    const secretNames = (objects: K8sObject[]) => objects.filter((o) => o.kind === 'Secret' && !o.metadata.name.startsWith('nestjet-nats-')).map((o) => o.metadata.name);
    const none = await helmTemplate({ set: { 'producer.auth.mode': 'none' } });
    expect(envOf(findObject(none, 'Deployment', '-producer')).AUTH_MODE!.value).toBe('none');
    expect(envOf(findObject(none, 'Deployment', '-producer')).API_KEYS_FILE).toBeUndefined();
    expect(secretNames(none)).toEqual([]);
    expect(envOf(findObject(none, 'Pod', '-smoke-test')).SMOKE_API_KEY).toBeUndefined();

    const own = await helmTemplate({ set: { 'producer.auth.apiKeys.existingSecret': 'team-keys', 'producer.auth.apiKeys.key': 'keys.json', 'tests.auth.existingSecret': 'smoke-key' } });
    const producer = findObject(own, 'Deployment', '-producer');
    expect(secretNames(own)).toEqual([]);
    expect(envOf(producer).API_KEYS_FILE!.value).toBe('/etc/nestjet/api-keys/keys.json');
    expect(podSpec(producer).volumes).toContainEqual({ name: 'api-keys', secret: { secretName: 'team-keys', defaultMode: 0o440, items: [{ key: 'keys.json', path: 'keys.json' }] } });
    expect(envOf(findObject(own, 'Pod', '-smoke-test')).SMOKE_API_KEY!.valueFrom).toEqual({ secretKeyRef: { name: 'smoke-key', key: 'key' } });

    const jwt = { 'producer.auth.apiKeys.generate': false, 'producer.auth.jwt.jwksUrl': 'https://idp/keys', 'producer.auth.jwt.issuer': 'https://idp', 'producer.auth.jwt.audience': 'nestjet', 'tests.enabled': false };
    const env = envOf(findObject(await helmTemplate({ set: jwt }), 'Deployment', '-producer'));
    expect([env.JWT_JWKS_URL?.value, env.JWT_ISSUER?.value, env.JWT_AUDIENCE?.value, env.API_KEYS_FILE]).toEqual(['https://idp/keys', 'https://idp', 'nestjet', undefined]);
    expect([env.JWT_TYPES?.value, env.JWT_MAX_TOKEN_LIFETIME_SECONDS?.value]).toEqual(['at+jwt,JWT', '86400']);
  });

  it('refuses to render open or half-configured security, and explains the migration from the removed values', async () => {
    const cases: Array<[Record<string, string | boolean>, RegExp]> = [
      [{ 'producer.auth.apiKeys.generate': false, 'tests.enabled': false }, /producer.auth.mode=keys but no credential is configured: set producer.auth.apiKeys.existingSecret, producer.auth.apiKeys.generate=true or producer.auth.jwt.jwksUrl/],
      [{ 'producer.adminApi.existingSecret': 'nestjet-admin' }, /producer.adminApi.existingSecret\/tokenKey were removed with ADMIN_TOKEN: \/v1\/dlq now takes the producer's API keys or JWTs with the scopes dlq:read, dlq:replay, dlq:purge/],
      [{ 'producer.adminApi.tokenKey': 'token' }, /producer.adminApi.existingSecret\/tokenKey were removed with ADMIN_TOKEN/],
      [{ 'nats.enabled': false, 'externalNats.auth.existingSecret': 'shared' }, /externalNats.auth.existingSecret was removed: one credential shared by every component/],
      [{ 'producer.auth.jwt.jwksUrl': 'https://idp/keys' }, /producer.auth.jwt.jwksUrl needs producer.auth.jwt.issuer and producer.auth.jwt.audience/],
      [{ 'producer.auth.apiKeys.existingSecret': 'team-keys' }, /tests.enabled: the helm test needs an API key: set tests.auth.existingSecret/],
      [{ 'nats.config.nats.tls.secretName': '' }, /nats.config.nats.tls.enabled needs nats.config.nats.tls.secretName/],
      [{ 'natsTls.generate': false }, /natsTls.generate=false and no cert-manager: create the Secret nestjet-nats-tls/],
      [{ 'nats.config.cluster.tls.enabled': false }, /nats.config.cluster.tls.enabled=false: the routes between NATS servers would carry every message and the route password in clear/],
      [{ 'producer.ingress.enabled': true, 'networkPolicy.enabled': false }, /producer.ingress.enabled with networkPolicy.enabled=false: set producer.trustProxy/],
      [{ 'producer.adminApi.enabled': false, 'producer.adminApi.standalone': true }, /producer.adminApi.standalone needs producer.adminApi.enabled=true/],
      [{ 'producer.adminApi.standalone': true, 'producer.ingress.enabled': true, 'producer.ingress.routes.console': true }, /the console is served by <fullname>-admin, which is never behind the public Ingress/],
      [{ 'producer.adminApi.standalone': true, 'producer.auth.apiKeys.admin.generate': false }, /the admin Deployment would accept no credential/],
      [{ 'natsTls.certManager.enabled': true, 'natsTls.certManager.issuerRef.name': 'ca', 'nats.config.nats.tls.enabled': false, 'nats.config.cluster.enabled': false }, /natsTls.certManager.enabled needs nats.config.nats.tls.enabled=true/],
      [{ 'nats.config.nats.tls.enabled': false }, /natsAllowPlaintextAuth=false but NATS \(nats:\/\/nestjet-nats.apps.svc.cluster.local:4222\) is plaintext and pods authenticate with a password/],
    ];
    for (const [set, message] of cases) expect({ set, error: await helmTemplateError({ set }) }).toEqual({ set, error: expect.stringMatching(message) });
    // A templated Secret name the chart cannot resolve the way the official chart would.
    const templated = await helmTemplateError({ extraArgs: ['--set-json', 'nats.config.nats.tls.secretName={"$tplYaml":"{{ .Release.Name }}-certs"}'] });
    expect(templated).toMatch(/nats.config.nats.tls.secretName: only a plain name or/);
  });

  it('bundled NATS with TLS from cert-manager: tls:// URL, clients trust ca.crt of the Secret, no plaintext password', async () => {
    const set = {
      'nats.config.nats.tls.enabled': true,
      'nats.config.nats.tls.secretName': 'nestjet-nats-tls',
      'natsTls.certManager.enabled': true,
      'natsTls.certManager.issuerRef.name': 'nestjet-ca',
      natsAllowPlaintextAuth: false,
    };
    const objects = await helmTemplate({ set });
    const cm = findObject(objects, 'ConfigMap', 'nestjet').data;
    expect(cm.NATS_URL).toBe('tls://nestjet-nats.apps.svc.cluster.local:4222');
    expect(cm.NATS_ALLOW_PLAINTEXT_AUTH).toBeUndefined();
    const cert = findObject(objects, 'Certificate', 'nestjet-nats-tls');
    expect(cert.spec).toMatchObject({ secretName: 'nestjet-nats-tls', issuerRef: { name: 'nestjet-ca', kind: 'Issuer', group: 'cert-manager.io' } });
    expect(cert.spec.dnsNames).toEqual(expect.arrayContaining(['nestjet-nats', 'nestjet-nats.apps.svc.cluster.local', '*.nestjet-nats-headless', '*.nestjet-nats-headless.apps.svc.cluster.local']));
    // The same certificate serves the routes, which authenticate each other with it (mutual TLS).
    expect(cert.spec.usages).toEqual(expect.arrayContaining(['server auth', 'client auth']));
    // cert-manager writes the Secret: the chart generates none.
    expect(objects.some((o) => o.kind === 'Secret' && o.metadata.name === 'nestjet-nats-tls')).toBe(false);
    for (const o of [findObject(objects, 'Deployment', '-producer'), findObject(objects, 'Deployment', '-consumer-orders'), findObject(objects, 'Deployment', '-consumer-ledger'), findObject(objects, 'Job', '-provision-1'), findObject(objects, 'Pod', '-smoke-test')]) {
      expect(envOf(o).NATS_TLS_CA!.value).toBe('/etc/nestjet/nats-tls/ca.crt');
      expect(podSpec(o).volumes).toContainEqual({ name: 'nats-tls', secret: { secretName: 'nestjet-nats-tls', defaultMode: 0o444, items: [{ key: 'ca.crt', path: 'ca.crt' }] } });
    }
    // cert-manager's CRDs have no offline schema here; everything else is validated.
    await validateObjects(objects.filter((o) => o.kind !== 'Certificate'));
  });

  it('natsUsers.createSecrets=false: the chart creates no NATS Secret but still reads the same names', async () => {
    const objects = await helmTemplate({ set: { 'natsUsers.createSecrets': false } });
    // The route Secret is a NATS credential too; the TLS certificate is natsTls.generate's.
    expect(objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name).sort()).toEqual(['nestjet-admin-api-key', 'nestjet-api-key', 'nestjet-api-keys', 'nestjet-nats-tls']);
    for (const group of GROUPS) expect(secretsOf(findObject(objects, 'Deployment', `-consumer-${group}`))).toEqual([`nestjet-nats-consumer-${group}`, 'nestjet-nats-tls']);
    expect(secretsOf(findObject(objects, 'Deployment', '-dlq-router'))).toEqual(['nestjet-nats-dlq', 'nestjet-nats-tls']);
  });
});
