import { beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, X509Certificate } from 'node:crypto';
import { findObject, helmTemplate, validateObjects, type K8sObject, podSpec } from '#test-support';

// Issue 24 on `helm template`: the certificate the chart makes for the bundled
// NATS, TRUST_PROXY behind the Ingress, and the admin API in a Deployment of its
// own so the public Ingress's pods hold no DLQ credential and no admin key.

const decode = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } };
const envOf = (o: K8sObject): Record<string, EnvVar> => Object.fromEntries((podSpec(o).containers[0].env as EnvVar[]).map((e) => [e.name, e]));
const sha = (k: string) => `sha256:${createHash('sha256').update(k).digest('hex')}`;

/** Every Secret a pod reads, by env or volume. */
function secretsOf(o: K8sObject): string[] {
  const fromEnv = (podSpec(o).containers[0].env as EnvVar[]).flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef.name] : []));
  const fromVolumes = ((podSpec(o).volumes ?? []) as Array<{ secret?: { secretName: string } }>).flatMap((v) => (v.secret ? [v.secret.secretName] : []));
  return [...new Set([...fromEnv, ...fromVolumes])].sort();
}

/** The ids of the keys in a pod's API_KEYS_FILE, read from the Secret it mounts. */
function keyFileOf(objects: K8sObject[], o: K8sObject): Array<{ id: string; hash: string; scopes: string[] }> {
  const volume = (podSpec(o).volumes as Array<{ name: string; secret?: { secretName: string } }>).find((v) => v.name === 'api-keys')!;
  return JSON.parse(decode(findObject(objects, 'Secret', volume.secret!.secretName).data['api-keys.json'])) as Array<{ id: string; hash: string; scopes: string[] }>;
}

describe('helm chart hardening (issue 24)', () => {
  let defaults: K8sObject[];

  beforeAll(async () => {
    defaults = await helmTemplate();
  });

  it('the generated NATS certificate: signed by the generated CA, for the Service, every pod of the headless Service and loopback, for server and client auth', () => {
    const tls = findObject(defaults, 'Secret', 'nestjet-nats-tls');
    expect(tls.type).toBe('kubernetes.io/tls');
    const ca = new X509Certificate(decode(tls.data['ca.crt']));
    const cert = new X509Certificate(decode(tls.data['tls.crt']));
    expect(ca.ca).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkIssued(ca)).toBe(true);
    for (const host of ['nestjet-nats', 'nestjet-nats.apps.svc.cluster.local', 'nestjet-nats-0.nestjet-nats-headless.apps.svc.cluster.local', 'localhost']) {
      expect({ host, ok: cert.checkHost(host) !== undefined }).toEqual({ host, ok: true });
    }
    // Route URLs name peers <pod>.<headless service> (one label after the wildcard): Go's
    // verifier, which nats-server uses, matches that; Node's refuses single-label wildcards.
    expect(cert.subjectAltName?.split(', ')).toContain('DNS:*.nestjet-nats-headless');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkHost('nats.other-namespace.svc.cluster.local')).toBeUndefined();
    // The routes present the same certificate as clients (mutual TLS).
    expect(cert.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']));
    expect(new Date(cert.validTo).getTime()).toBeGreaterThan(Date.now() + 5 * 365 * 24 * 3600 * 1000);
    // The private key stays in the NATS pods: app pods project only ca.crt.
    for (const d of defaults.filter((o) => o.kind === 'Deployment' && o.metadata.name.startsWith('nestjet-'))) {
      const volume = (podSpec(d).volumes as Array<{ name: string; secret?: { secretName: string; items?: Array<{ key: string }> } }>).find((v) => v.secret?.secretName === 'nestjet-nats-tls');
      expect({ deployment: d.metadata.name, items: volume?.secret?.items?.map((i) => i.key) }).toEqual({ deployment: d.metadata.name, items: ['ca.crt'] });
    }
  });

  it('TRUST_PROXY: unset without the Ingress; with it the private ranges (the NetworkPolicy admits only the controller) or producer.trustProxy', async () => {
    expect(envOf(findObject(defaults, 'Deployment', '-producer')).TRUST_PROXY).toBeUndefined();
    const ingress = await helmTemplate({ set: { 'producer.ingress.enabled': true } });
    expect(envOf(findObject(ingress, 'Deployment', '-producer')).TRUST_PROXY!.value).toBe('10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,100.64.0.0/10,fc00::/7');
    // Who can reach the producer's port at all: the controller, the helm test and Prometheus.
    const from = findObject(ingress, 'NetworkPolicy', 'nestjet-producer').spec.ingress[0].from as unknown[];
    expect(from).toHaveLength(3);
    const narrowed = await helmTemplate({ set: { 'producer.ingress.enabled': true, 'producer.trustProxy': '10.42.0.0/16\\,10.43.7.12' } });
    expect(envOf(findObject(narrowed, 'Deployment', '-producer')).TRUST_PROXY!.value).toBe('10.42.0.0/16,10.43.7.12');
    // The value is checked like the producer checks it.
    await expect(helmTemplate({ set: { 'producer.trustProxy': 'the-ingress' } })).rejects.toThrow(/trustProxy/);
  });

  it('admin API in its own Deployment: only it holds the dlq NATS user and the admin key; the public producer serves no admin route', async () => {
    const objects = await helmTemplate({ set: { 'producer.adminApi.standalone': true, 'producer.ingress.enabled': true } });
    await validateObjects(objects);
    const producer = findObject(objects, 'Deployment', 'nestjet-producer');
    const admin = findObject(objects, 'Deployment', 'nestjet-admin');
    expect(envOf(producer)).toMatchObject({ ADMIN_API_ENABLED: { value: 'false' }, CONSOLE_ENABLED: { value: 'false' } });
    expect(envOf(admin)).toMatchObject({ ADMIN_API_ENABLED: { value: 'true' }, CONSOLE_ENABLED: { value: 'true' } });
    // The dlq credential: the admin pods only.
    expect(Object.keys(envOf(producer)).filter((n) => n.startsWith('DLQ_NATS_'))).toEqual([]);
    expect(secretsOf(producer)).not.toContain('nestjet-nats-dlq');
    expect(envOf(admin).DLQ_NATS_PASSWORD!.valueFrom).toEqual({ secretKeyRef: { name: 'nestjet-nats-dlq', key: 'password' } });
    expect(envOf(admin).NATS_USER!.valueFrom).toEqual({ secretKeyRef: { name: 'nestjet-nats-producer', key: 'user' } });
    // The admin key's hash is only in the admin pods' key file; the publish key only in the producer's.
    const publishKey = decode(findObject(objects, 'Secret', 'nestjet-api-key').data.key);
    const adminKey = decode(findObject(objects, 'Secret', 'nestjet-admin-api-key').data.key);
    expect(keyFileOf(objects, producer).map((k) => [k.id, k.hash])).toEqual([['helm', sha(publishKey)]]);
    expect(keyFileOf(objects, admin).map((k) => [k.id, k.hash])).toEqual([['helm-admin', sha(adminKey)]]);
    expect(keyFileOf(objects, admin)[0]!.scopes).toEqual(expect.arrayContaining(['dlq:purge', 'dlq:replay', 'consumers:manage']));
    // The public Ingress routes to the producer Service only; the admin Service exists for port-forward.
    const backends = findObject(objects, 'Ingress', '-producer').spec.rules.flatMap((r: { http: { paths: Array<{ backend: { service: { name: string } } }> } }) => r.http.paths.map((p) => p.backend.service.name));
    expect(new Set(backends)).toEqual(new Set(['nestjet-producer']));
    expect(findObject(objects, 'Service', 'nestjet-admin').spec.selector).toEqual(admin.spec.selector.matchLabels);
    expect(admin.spec.selector.matchLabels).not.toEqual(producer.spec.selector.matchLabels);
    // The admin pods admit no Ingress controller: Prometheus, and networkPolicy.adminFrom when set.
    const adminPolicy = findObject(objects, 'NetworkPolicy', 'nestjet-admin').spec;
    expect(adminPolicy.podSelector).toEqual(admin.spec.selector);
    expect(adminPolicy.ingress[0].from).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } }]);
    const opened = await helmTemplate({ set: { 'producer.adminApi.standalone': true, 'networkPolicy.adminFrom[0].podSelector.matchLabels.app': 'ops-proxy' } });
    expect(findObject(opened, 'NetworkPolicy', 'nestjet-admin').spec.ingress[0].from).toContainEqual({ podSelector: { matchLabels: { app: 'ops-proxy' } } });
    expect(findObject(opened, 'NetworkPolicy', 'nestjet-producer').spec.ingress[0].from).not.toContainEqual({ podSelector: { matchLabels: { app: 'ops-proxy' } } });
  });

  it('admin API in the producer (the default): the producer holds the dlq user and both keys; no admin Deployment', () => {
    const producer = findObject(defaults, 'Deployment', 'nestjet-producer');
    expect(defaults.some((o) => o.metadata.name === 'nestjet-admin')).toBe(false);
    expect(envOf(producer).ADMIN_API_ENABLED!.value).toBe('true');
    expect(envOf(producer).DLQ_NATS_USER!.valueFrom).toEqual({ secretKeyRef: { name: 'nestjet-nats-dlq', key: 'user' } });
    expect(keyFileOf(defaults, producer).map((k) => k.id)).toEqual(['helm', 'helm-admin']);
    // The key the helm test (and publishers) use publishes and lists topics, nothing else.
    expect(keyFileOf(defaults, producer)[0]!.scopes).toEqual(['publish:orders.*', 'topics:read']);
  });
});
