import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { CHART_DIR, findObject, helm, helmTemplate, parseManifests, ROOT, validateObjects, type K8sObject } from '#test-support';
import { chartWithOfficialNats, mayPublish, mountedFileOf, OFFICIAL_NATS_CHART, RenderedNatsServer, renderedPassword } from './official-nats-chart.js';

// The bundled NATS as the official nats chart renders it from this chart's
// values, run by a real nats-server: the users of files/nats-permissions.json
// with the passwords of the chart's Secrets, and nothing anonymous.

const permissions = JSON.parse(readFileSync(join(CHART_DIR, 'files', 'nats-permissions.json'), 'utf8')) as Record<string, unknown>;
/** Every user of the file: the components and one per consumer group (consumer-orders, consumer-ledger). */
const USERS = Object.keys(permissions);
const passwordEnv = (user: string) => `NATS_${user.toUpperCase().replaceAll('-', '_')}_PASSWORD`;

/** What a user may do on the bus, whatever the generated permissions list in detail (issue 9). */
async function expectLeastPrivilege(server: RenderedNatsServer, password: (user: string) => string): Promise<void> {
  await expect(server.connect()).rejects.toThrow(/Authorization Violation/i);
  await expect(server.connect('producer', 'wrong-password')).rejects.toThrow(/Authorization Violation/i);
  const nc: Record<string, NatsConnection> = {};
  for (const user of USERS) nc[user] = await server.connect(user, password(user));
  const orders = nc['consumer-orders']!;
  const ledger = nc['consumer-ledger']!;
  try {
    // The provisioner creates the topology; the producer cannot.
    const jsm = await jetstreamManager(nc.provisioner!);
    await jsm.streams.add({ name: 'ORDERS', subjects: ['orders.>'] });
    await jsm.streams.add({ name: 'DLQ', subjects: ['dlq.>'] });
    expect(await mayPublish(nc.producer!, '$JS.API.STREAM.CREATE.EVIL')).toBe(false);
    expect(await mayPublish(nc.producer!, '$JS.API.STREAM.DELETE.ORDERS')).toBe(false);
    expect(await mayPublish(nc.producer!, '$JS.API.STREAM.PURGE.ORDERS')).toBe(false);
    // The producer publishes topics; the consumer cannot.
    expect(await mayPublish(nc.producer!, 'orders.created.eu.std')).toBe(true);
    for (const group of [orders, ledger]) expect(await mayPublish(group, 'orders.created.eu.std')).toBe(false);
    // Only the dlq user writes any dead letter; a group's user only its own durables' (direct dead-lettering).
    for (const user of ['producer', 'provisioner'] as const) expect({ user, dlq: await mayPublish(nc[user]!, 'dlq.ORDERS.fulfillment') }).toEqual({ user, dlq: false });
    expect(await mayPublish(orders, 'dlq.ORDERS.fulfillment')).toBe(true);
    expect(await mayPublish(ledger, 'dlq.ORDERS.ledger-p3')).toBe(true);
    for (const subject of ['dlq.ORDERS.undeclared', 'dlq.rejected']) expect({ subject, consumer: await mayPublish(orders, subject) }).toEqual({ subject, consumer: false });
    expect(await mayPublish(nc.dlq!, 'dlq.ORDERS.fulfillment')).toBe(true);
    expect(await mayPublish(nc.dlq!, 'dlq.ORDERS.undeclared')).toBe(true);
    // Deletes of originals stay with dlq.
    for (const group of [orders, ledger]) expect(await mayPublish(group, '$JS.API.STREAM.MSG.DELETE.ORDERS')).toBe(false);
    // Each group's user: its own durables, markers, failure records and dead letters, none of the other group's.
    const own = (durable: string) => [
      `$JS.API.CONSUMER.MSG.NEXT.ORDERS.${durable}`,
      `$KV.nestjet_processed.${durable}.some-key`,
      `$JS.API.DIRECT.GET.KV_nestjet_processed.$KV.nestjet_processed.${durable}.some-key`,
      `$KV.nestjet_failures.ORDERS.7.${durable}`,
      `dlq.ORDERS.${durable}`,
    ];
    for (const [user, conn, mine, theirs] of [
      ['consumer-orders', orders, 'fulfillment', 'ledger-p0'],
      ['consumer-ledger', ledger, 'ledger-p0', 'fraud-review'],
    ] as const) {
      for (const subject of own(mine)) expect({ user, subject, allowed: await mayPublish(conn, subject) }).toEqual({ user, subject, allowed: true });
      for (const subject of own(theirs)) expect({ user, subject, allowed: await mayPublish(conn, subject) }).toEqual({ user, subject, allowed: false });
    }
    // Nobody forges advisories, the operator included.
    for (const user of USERS) expect({ user, forged: await mayPublish(nc[user]!, '$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.ORDERS.fulfillment') }).toEqual({ user, forged: false });
    // The operator reads everything.
    const names = await (await jetstreamManager(nc.operator!)).streams.names().next();
    expect(names.sort()).toEqual(['DLQ', 'ORDERS']);
  } finally {
    await Promise.all(Object.values(nc).map((c) => c.close()));
  }
}

/** A CA and a server certificate for 127.0.0.1, as cert-manager's CA issuer writes them into a Secret (tls.crt, tls.key, ca.crt). */
function tlsSecret(name: string): K8sObject {
  const dir = mkdtempSync(join(tmpdir(), 'nestjet-pki-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=nestjet test CA');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'tls.key', '-out', 'tls.csr', '-subj', '/CN=nats');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  ssl('x509', '-req', '-in', 'tls.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'tls.crt', '-days', '1', '-extfile', 'san.ext');
  const b64 = (f: string) => readFileSync(join(dir, f)).toString('base64');
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name }, data: { 'tls.crt': b64('tls.crt'), 'tls.key': b64('tls.key'), 'ca.crt': b64('ca.crt') } };
}

describe('bundled NATS rendered by the official nats chart', () => {
  let chart: string;
  let objects: K8sObject[];

  beforeAll(async () => {
    chart = chartWithOfficialNats();
    objects = await helmTemplate({ chart, profiles: ['bundled-nats'] });
  });

  it('the nats subchart includes authorization.conf, gets every password from its user Secret and mounts the auth ConfigMap', async () => {
    const sts = findObject(objects, 'StatefulSet', 'nestjet-nats');
    const nats = sts.spec.template.spec.containers.find((c: { name: string }) => c.name === 'nats');
    expect(findObject(objects, 'ConfigMap', 'nestjet-nats-config').data['nats.conf']).toMatch(/^\s*include \.\.\/nestjet-auth\/authorization\.conf;$/m);
    expect(USERS).toEqual(['producer', 'consumer-orders', 'consumer-ledger', 'dlq', 'provisioner', 'operator']);
    for (const user of USERS) {
      expect(nats.env).toContainEqual({ name: passwordEnv(user), valueFrom: { secretKeyRef: { name: `nestjet-nats-${user}`, key: 'password' } } });
    }
    // One Secret per user, the group users' included.
    expect(objects.filter((o) => o.kind === 'Secret' && o.metadata.labels?.['nestjet.io/nats-user']).map((o) => o.metadata.name).sort()).toEqual(USERS.map((u) => `nestjet-nats-${u}`).sort());
    expect(nats.volumeMounts).toContainEqual({ name: 'nestjet-auth', mountPath: '/etc/nestjet-auth', readOnly: true });
    expect(sts.spec.template.spec.volumes).toContainEqual({ name: 'nestjet-auth', configMap: { name: 'nestjet-nats-nestjet-auth' } });
    // The config reloader watches the included file too.
    const reloader = sts.spec.template.spec.containers.find((c: { name: string }) => c.name === 'reloader');
    expect(reloader.args.join(' ')).toContain('-config /etc/nestjet-auth/authorization.conf');
    // nats-box is off by default (issue 24: no pod holds the operator password all the time);
    // turned on, the CLI logs in as the operator user.
    expect(objects.filter((o) => o.metadata.name.includes('nats-box'))).toEqual([]);
    const withBox = await helmTemplate({ chart, profiles: ['bundled-nats'], set: { 'nats.natsBox.enabled': true } });
    const box = findObject(withBox, 'Deployment', 'nestjet-nats-box').spec.template.spec.containers[0];
    expect(box.env).toEqual(
      expect.arrayContaining([
        { name: 'NATS_USER', value: 'operator' },
        { name: 'NATS_PASSWORD', valueFrom: { secretKeyRef: { name: 'nestjet-nats-operator', key: 'password' } } },
      ]),
    );
    // The NetworkPolicy selects the subchart's server pods, not nats-box.
    const policy = findObject(objects, 'NetworkPolicy', 'nestjet-nats');
    expect(policy.spec.podSelector.matchLabels).toEqual(sts.spec.selector.matchLabels);
    // Everything the release creates, the subchart included, is schema-valid.
    await validateObjects(objects);
    process.stdout.write(`official nats chart 1.3.16 + nestjet: ${objects.length} objects, schema-valid\n`);
  });

  it('a real nats-server started from the rendered StatefulSet: no anonymous access, each user only its own operations', async () => {
    const local = await RenderedNatsServer.localValues();
    const rendered = await helmTemplate({ chart, profiles: ['bundled-nats'], set: { ...local.set, 'topology.streamReplicas': 1 } });
    const server = await RenderedNatsServer.start(rendered, 'nestjet-nats', local.port);
    try {
      // The server runs the users of files/nats-permissions.json.
      const users = [...findObject(rendered, 'ConfigMap', '-nestjet-auth').data['authorization.conf'].matchAll(/\{user: "([\w-]+)"/g)].map((m) => m[1]);
      expect(users.sort()).toEqual([...USERS].sort());
      await expectLeastPrivilege(server, (user) => renderedPassword(rendered, `nestjet-nats-${user}`));
    } finally {
      await server.dispose();
    }
  });

  it('TLS by default: the rendered server takes only TLS clients; the ca.crt of the chart-generated CA the app pods mount (NATS_TLS_CA) verifies it', async () => {
    const local = await RenderedNatsServer.localValues();
    const rendered = await helmTemplate({ chart, set: { ...local.set, 'topology.streamReplicas': 1 } });
    // The chart made the certificate (natsTls.generate) and no value allows a plaintext password.
    expect(findObject(rendered, 'Secret', 'nestjet-nats-tls').type).toBe('kubernetes.io/tls');
    expect(findObject(rendered, 'ConfigMap', 'nestjet').data.NATS_ALLOW_PLAINTEXT_AUTH).toBeUndefined();
    expect(findObject(rendered, 'ConfigMap', 'nestjet').data.NATS_URL).toMatch(/^tls:\/\//);
    const server = await RenderedNatsServer.start(rendered, 'nestjet-nats', local.port);
    try {
      // The CA file exactly as the producer pod sees it through its nats-tls volume.
      const caFile = join(mkdtempSync(join(tmpdir(), 'nestjet-ca-')), 'ca.crt');
      writeFileSync(caFile, mountedFileOf(rendered, findObject(rendered, 'Deployment', '-producer'), 'NATS_TLS_CA'));
      const password = renderedPassword(rendered, 'nestjet-nats-producer');
      const nc = await server.connect('producer', password, caFile);
      expect(nc.info?.tls_required).toBe(true);
      expect(await mayPublish(nc, 'orders.created.eu.std')).toBe(true);
      await nc.close();
      // Without that CA the server's certificate is not trusted.
      await expect(server.connect('producer', password, null)).rejects.toThrow(/certificate|self.signed|TLS/i);
    } finally {
      await server.dispose();
    }
  });

  it('your own certificate (natsTls.generate=false): the chart makes none and everything uses the Secret you name', async () => {
    const local = await RenderedNatsServer.localValues();
    const own = 'team-nats-tls';
    const set = {
      ...local.set,
      'topology.streamReplicas': 1,
      'natsTls.generate': false,
      'nats.config.nats.tls.secretName': own,
      'nats.config.cluster.tls.secretName': own,
      'nats.tlsCA.secretName': own,
    };
    const chartMade = await helmTemplate({ chart, set });
    expect(chartMade.filter((o) => o.kind === 'Secret' && o.metadata.name.endsWith('-tls'))).toEqual([]);
    const rendered = [...chartMade, tlsSecret(own)];
    const server = await RenderedNatsServer.start(rendered, 'nestjet-nats', local.port);
    try {
      const caFile = join(mkdtempSync(join(tmpdir(), 'nestjet-ca-')), 'ca.crt');
      writeFileSync(caFile, mountedFileOf(rendered, findObject(rendered, 'Deployment', '-producer'), 'NATS_TLS_CA'));
      const nc = await server.connect('producer', renderedPassword(rendered, 'nestjet-nats-producer'), caFile);
      expect(nc.info?.tls_required).toBe(true);
      await nc.close();
    } finally {
      await server.dispose();
    }
  });

  it('k8s/nats-values.yaml (NATS installed on its own) gives the same users and permissions to a real nats-server', async () => {
    const local = await RenderedNatsServer.localValues();
    const passwords = Object.fromEntries(USERS.map((u) => [u, `pw-${u}-${Math.random().toString(36).slice(2)}`]));
    const sets = Object.entries(local.set).flatMap(([k, v]) => ['--set', `${k.replace(/^nats\./, '')}=${String(v)}`]);
    const { stdout } = await helm(['template', 'nats', OFFICIAL_NATS_CHART, '--namespace', 'nats', '-f', join(ROOT, 'k8s', 'nats-values.yaml'), ...sets]);
    // The Secrets nestjet-nats-<user> an operator creates in namespace nats (docs/kubernetes.md).
    const secrets: K8sObject[] = USERS.map((u) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `nestjet-nats-${u}` },
      data: { user: Buffer.from(u).toString('base64'), password: Buffer.from(passwords[u]!).toString('base64') },
    }));
    // And nats-tls, the certificate of the client port and the routes (a single server here: no nats-routes).
    const server = await RenderedNatsServer.start([...parseManifests(stdout), ...secrets, tlsSecret('nats-tls')], 'nats', local.port);
    expect(server.caFile).toBeDefined();
    try {
      await expectLeastPrivilege(server, (user) => passwords[user]!);
    } finally {
      await server.dispose();
    }
  });
});
