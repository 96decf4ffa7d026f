import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppGroup, AppProcess, ENTRYPOINTS, findObject, freePort, helmTemplate, NatsServer, type K8sObject } from '#test-support';

// producer.adminApi.standalone (issue 24) run for real: the producer and the
// admin Deployment as the chart renders them (their ConfigMap, env and mounted
// Secrets, with the test's NATS in place of the cluster's), each started as the
// real producer process. The public producer holds no dlq credential, serves no
// admin route and knows no admin key; the admin pods do.

const decode = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');

/** Env of a rendered workload as the kubelet gives it: ConfigMap, literal values, rendered Secrets, Secret volumes written under `root`. */
function podEnv(objects: K8sObject[], workload: K8sObject, root: string): Record<string, string> {
  const spec = workload.spec.template.spec;
  const c = spec.containers[0];
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) Object.assign(env, findObject(objects, 'ConfigMap', from.configMapRef.name).data);
  const secret = (name: string) => objects.find((o) => o.kind === 'Secret' && o.metadata.name === name);
  for (const e of c.env ?? []) {
    if (typeof e.value === 'string') env[e.name] = e.value;
    const ref = e.valueFrom?.secretKeyRef as { name: string; key: string } | undefined;
    if (ref && secret(ref.name)) env[e.name] = decode(secret(ref.name)!.data[ref.key]);
    if (ref && !secret(ref.name)) env[e.name] = `<from Secret ${ref.name}>`;
  }
  for (const mount of (c.volumeMounts ?? []) as Array<{ name: string; mountPath: string }>) {
    const volume = (spec.volumes ?? []).find((v: { name: string }) => v.name === mount.name);
    if (!volume?.secret) continue;
    const dir = join(root, mount.mountPath);
    mkdirSync(dir, { recursive: true });
    const data = secret(volume.secret.secretName)!.data as Record<string, string>;
    for (const item of (volume.secret.items ?? Object.keys(data).map((key: string) => ({ key, path: key }))) as Array<{ key: string; path: string }>) {
      writeFileSync(join(dir, item.path), decode(data[item.key]!), { mode: 0o600 });
    }
    for (const [k, v] of Object.entries(env)) if (v.startsWith(`${mount.mountPath}/`)) env[k] = join(root, v);
  }
  return env;
}

describe('admin API in its own Deployment, run as the chart renders it', () => {
  const apps = new AppGroup();
  let nats: NatsServer;
  let objects: K8sObject[];
  let producerUrl: string;
  let adminUrl: string;
  let publishKey: string;
  let adminKey: string;
  const roots: string[] = [];

  beforeAll(async () => {
    nats = await NatsServer.start({ tls: true });
    // The minimal profile's external NATS is over TLS with its CA in the Secret nats-ca.
    const natsCa = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'nats-ca' }, data: { 'ca.crt': readFileSync(nats.tls!.ca).toString('base64') } };
    objects = [...(await helmTemplate({ profiles: ['minimal'], set: { 'producer.adminApi.standalone': true } })), natsCa];
    publishKey = decode(findObject(objects, 'Secret', 'nestjet-api-key').data.key);
    adminKey = decode(findObject(objects, 'Secret', 'nestjet-admin-api-key').data.key);
    const start = async (name: string, workload: K8sObject, extra: Record<string, string>, script: string, ready?: string) => {
      const root = mkdtempSync(join(tmpdir(), `nestjet-${name}-pod-`));
      roots.push(root);
      const env = podEnv(objects, workload, root);
      // The test's NATS users stand in for the cluster's Secrets; the dlq one only where the pod has DLQ_NATS_*.
      const dlq = 'DLQ_NATS_USER' in env ? nats.dlqEnv() : {};
      return AppProcess.start(name, script, { ...env, HOST: '127.0.0.1', OTEL_SDK_DISABLED: 'true', ...extra, ...dlq }, ready);
    };
    const provision = await start('provision', findObject(objects, 'Job', '-provision'), nats.env('provisioner'), ENTRYPOINTS.provision);
    expect((await provision.waitForExit(60_000)).code).toBe(0);
    const [producerPort, adminPort] = [await freePort(), await freePort()];
    const producer = findObject(objects, 'Deployment', 'nestjet-producer');
    const admin = findObject(objects, 'Deployment', 'nestjet-admin');
    // What the chart gives each pod, before the test adds its NATS credentials.
    expect(Object.keys(podEnv(objects, producer, mkdtempSync(join(tmpdir(), 'x-')))).filter((k) => k.startsWith('DLQ_NATS_'))).toEqual([]);
    expect(Object.keys(podEnv(objects, admin, mkdtempSync(join(tmpdir(), 'x-')))).filter((k) => k.startsWith('DLQ_NATS_')).sort()).toEqual(['DLQ_NATS_PASSWORD', 'DLQ_NATS_USER']);
    await apps.add(start('producer', producer, { ...nats.env('producer'), PORT: String(producerPort) }, ENTRYPOINTS.producer, 'producer.ready'));
    await apps.add(start('admin', admin, { ...nats.env('producer'), PORT: String(adminPort) }, ENTRYPOINTS.producer, 'producer.ready'));
    producerUrl = `http://127.0.0.1:${producerPort}`;
    adminUrl = `http://127.0.0.1:${adminPort}`;
  }, 120_000);

  afterAll(async () => {
    await apps.stopAll();
    await nats?.dispose();
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  });

  const get = (base: string, path: string, key: string) => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${key}` } });

  it('the public producer publishes with the publish key and has no admin route; the admin key is unknown to it', async () => {
    const published = await fetch(`${producerUrl}/v1/topics/orders.created/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${publishKey}`, 'content-type': 'application/json', 'idempotency-key': 'admin-split-1' },
      body: JSON.stringify({ orderId: 'o-1', customerId: 'c-1', amount: 10, currency: 'EUR', region: 'eu' }),
    });
    expect(published.status).toBe(202);
    expect((await get(producerUrl, '/v1/dlq', publishKey)).status).toBe(404);
    expect((await get(producerUrl, '/v1/dlq', adminKey)).status).toBe(401);
    expect((await get(producerUrl, '/console/', publishKey)).status).toBe(404);
  });

  it('the admin Deployment lists dead letters with the admin key and refuses the publish key', async () => {
    const listed = await get(adminUrl, '/v1/dlq', adminKey);
    expect(listed.status).toBe(200);
    expect((await get(adminUrl, '/v1/dlq', publishKey)).status).toBe(401);
  });
});
