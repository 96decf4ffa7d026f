import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { findObject, freePort, generateTlsFiles, helmTemplate, toolPath, waitFor, type K8sObject } from '#test-support';
import { chartWithOfficialNats, RenderedNatsServer, renderedPassword } from './official-nats-chart.js';

// The bundled NATS cluster as the chart renders it by default (issue 24): three
// real nats-server processes on loopback, each started from the rendered
// StatefulSet with only its addresses moved to loopback ports. The routes run
// mutual TLS with the chart-generated CA and a route password from the Secret
// <nats>-routes; a server without that password, or without a certificate of
// that CA, is refused as a route.

const NODES = 3;
const decode = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
const encode = (text: string) => Buffer.from(text, 'utf8').toString('base64');

interface Ports {
  client: number;
  route: number;
}

/** The rendered objects for node i: ports, store and pid file its own, route URLs to the other nodes' loopback ports. */
function forNode(rendered: K8sObject[], i: number, ports: Ports[], store: string): K8sObject[] {
  const objects = structuredClone(rendered);
  const config = findObject(objects, 'ConfigMap', 'nestjet-nats-config');
  const conf = config.data['nats.conf'] as string;
  // The client port is the top-level one, the route port the one in cluster {}.
  const moved = conf
    .replace(/^(\s*)"port": 4222,?$/m, `$1"port": ${ports[i]!.client},`)
    .replace(/^(\s*)"port": 6222,?$/m, `$1"listen": "127.0.0.1:${ports[i]!.route}",`)
    .replaceAll(store, join(store, `node-${i}`));
  expect(moved).not.toBe(conf);
  config.data['nats.conf'] = moved;
  const routes = findObject(objects, 'Secret', 'nestjet-nats-routes');
  const routesConf = decode(routes.data['routes.conf']).replace(/@nestjet-nats-(\d+)\.nestjet-nats-headless:6222/g, (_, n: string) => `@127.0.0.1:${ports[Number(n)]!.route}`);
  routes.data['routes.conf'] = encode(routesConf);
  return objects;
}

/** A nats-server that is not part of the release, soliciting a route to `routeUrl` with the given TLS files. */
class OutsideServer {
  readonly log: string[] = [];
  private readonly child: ChildProcess;
  private constructor(
    private readonly dir: string,
    readonly url: string,
    conf: string,
  ) {
    writeFileSync(join(dir, 'nats.conf'), conf);
    this.child = spawn(toolPath('nats-server'), ['-c', join(dir, 'nats.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (b: Buffer) => this.log.push(...b.toString().split('\n').filter(Boolean));
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
  }

  static async start(name: string, routeUrl: string, tls: { cert: string; key: string; ca: string }): Promise<OutsideServer> {
    const dir = mkdtempSync(join(tmpdir(), `nestjet-outside-${name}-`));
    const [port, route] = [await freePort(), await freePort()];
    const conf = [
      `server_name: ${name}`,
      `listen: 127.0.0.1:${port}`,
      'cluster {',
      '  name: nestjet-nats',
      `  listen: 127.0.0.1:${route}`,
      `  routes: [${JSON.stringify(routeUrl)}]`,
      `  tls { cert_file: ${JSON.stringify(tls.cert)}, key_file: ${JSON.stringify(tls.key)}, ca_file: ${JSON.stringify(tls.ca)}, verify: true }`,
      '}',
    ].join('\n');
    const server = new OutsideServer(dir, `nats://127.0.0.1:${port}`, conf);
    await waitFor(`${name} to start`, () => server.log.some((l) => l.includes('Server is ready')), 20_000);
    return server;
  }

  async dispose(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGKILL');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Whether a message published on `from` reaches a subscriber on `to` (interest crosses the routes). */
async function reaches(from: NatsConnection, to: NatsConnection, subject: string): Promise<boolean> {
  const sub = to.subscribe(subject, { max: 1 });
  await to.flush();
  const received = (async () => {
    for await (const m of sub) return m.string();
    return undefined;
  })();
  // Interest propagates asynchronously: publish until it arrives or the route is clearly absent.
  let got: string | undefined;
  const done = received.then((v) => (got = v));
  try {
    await waitFor(`a message on ${subject} to cross the routes`, async () => {
      from.publish(subject, 'hello');
      await from.flush();
      await Promise.race([done, new Promise((r) => setTimeout(r, 200))]);
      return got === 'hello';
    }, 10_000);
    return true;
  } catch {
    return false;
  } finally {
    sub.unsubscribe();
  }
}

describe('bundled NATS cluster rendered by the chart: routes over mutual TLS with a route password', () => {
  let rendered: K8sObject[];
  const servers: RenderedNatsServer[] = [];
  const ports: Ports[] = [];
  let routePassword: string;
  let pki: string;

  beforeAll(async () => {
    const local = await RenderedNatsServer.localValues();
    for (let i = 0; i < NODES; i++) ports.push({ client: await freePort(), route: await freePort() });
    const store = local.set['nats.config.jetstream.fileStore.dir'] as string;
    rendered = await helmTemplate({
      chart: chartWithOfficialNats(),
      set: { ...local.set, 'nats.config.cluster.enabled': true, 'nats.config.cluster.replicas': NODES, 'nats.config.nats.port': 4222 },
    });
    routePassword = renderedPassword(rendered, 'nestjet-nats-routes');
    for (let i = 0; i < NODES; i++) mkdirSync(join(store, `node-${i}`), { recursive: true });
    for (let i = 0; i < NODES; i++) servers.push(await RenderedNatsServer.start(forNode(rendered, i, ports, store), 'nestjet-nats', ports[i]!.client, `nestjet-nats-${i}`));
    // The release's own certificate, for the outside servers that should be able to join.
    pki = mkdtempSync(join(tmpdir(), 'nestjet-route-pki-'));
    const tls = findObject(rendered, 'Secret', 'nestjet-nats-tls').data as Record<string, string>;
    for (const key of ['tls.crt', 'tls.key', 'ca.crt']) writeFileSync(join(pki, key), decode(tls[key]!), { mode: 0o600 });
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.dispose()));
    if (pki) rmSync(pki, { recursive: true, force: true });
  });

  it('renders route TLS with peer verification against the CA, and the route password only in a Secret', () => {
    const conf = findObject(rendered, 'ConfigMap', 'nestjet-nats-config').data['nats.conf'] as string;
    const cluster = conf.slice(conf.indexOf('"cluster"'), conf.indexOf('"http_port"') > 0 ? conf.indexOf('"http_port"') : undefined);
    expect(cluster).toMatch(/"verify": true/);
    expect(cluster).toMatch(/"ca_file": "\/etc\/nats-ca-cert\/ca.crt"/);
    expect(cluster).toMatch(/include \.\.\/nestjet-routes\/routes\.conf;/);
    // The include comes after the chart's own route list, so its URLs (with the password) win.
    expect(cluster.indexOf('include ../nestjet-routes')).toBeGreaterThan(cluster.indexOf('"routes"'));
    expect(routePassword).toMatch(/^[A-Za-z0-9]{32}$/);
    for (const o of rendered.filter((x) => x.kind === 'ConfigMap')) expect(JSON.stringify(o.data)).not.toContain(routePassword);
    const routesConf = decode(findObject(rendered, 'Secret', 'nestjet-nats-routes').data['routes.conf']);
    expect(routesConf).toContain(`authorization {user: "route", password: "${routePassword}"}`);
    expect(routesConf).toContain(`tls://route:${routePassword}@nestjet-nats-2.nestjet-nats-headless:6222`);
  });

  it('the route URLs name the hosts the official chart would, FQDN included', async () => {
    const fqdn = await helmTemplate({ set: { 'nats.config.cluster.routeURLs.useFQDN': true } });
    const routesConf = decode(findObject(fqdn, 'Secret', 'nestjet-nats-routes').data['routes.conf']);
    const password = renderedPassword(fqdn, 'nestjet-nats-routes');
    expect(routesConf.match(/"tls:\/\/[^"]+"/g)).toEqual([0, 1, 2].map((i) => `"tls://route:${password}@nestjet-nats-${i}.nestjet-nats-headless.apps.svc.cluster.local:6222"`));
  });

  it('the three rendered servers form one cluster: a message published on node 0 reaches a subscriber on node 2', async () => {
    const pw = renderedPassword(rendered, 'nestjet-nats-operator');
    const [a, c] = [await servers[0]!.connect('operator', pw), await servers[2]!.connect('operator', pw)];
    try {
      expect(a.info?.tls_required).toBe(true);
      expect(await reaches(a, c, 'chart.routes.joined')).toBe(true);
    } finally {
      await Promise.all([a.close(), c.close()]);
    }
  });

  it('refuses a route without the password, and one with the password but a certificate of another CA; the same server with both joins', async () => {
    const pw = renderedPassword(rendered, 'nestjet-nats-operator');
    const node0 = servers[0]!;
    const inside = await node0.connect('operator', pw);
    const target = `127.0.0.1:${ports[0]!.route}`;
    const releaseTls = { cert: join(pki, 'tls.crt'), key: join(pki, 'tls.key'), ca: join(pki, 'ca.crt') };
    const other = generateTlsFiles(join(pki, 'other-ca'));
    const cases = [
      { name: 'no-password', url: `tls://${target}`, tls: releaseTls, joins: false, refusal: /authentication error|Authorization Violation/i },
      { name: 'wrong-password', url: `tls://route:not-the-password@${target}`, tls: releaseTls, joins: false, refusal: /authentication error|Authorization Violation/i },
      { name: 'other-ca', url: `tls://route:${routePassword}@${target}`, tls: { cert: other.serverCert, key: other.serverKey, ca: releaseTls.ca }, joins: false, refusal: /TLS|certificate|handshake/i },
      { name: 'with-both', url: `tls://route:${routePassword}@${target}`, tls: releaseTls, joins: true, refusal: undefined },
    ];
    try {
      for (const c of cases) {
        const before = node0.log.length;
        const outside = await OutsideServer.start(c.name, c.url, c.tls);
        try {
          const nc = await connect({ servers: outside.url, reconnect: false });
          try {
            if (c.refusal) {
              // The release's server says why it refused the route.
              await waitFor(`node 0 to refuse the ${c.name} route`, () => node0.log.slice(before).some((l) => c.refusal!.test(l)), 15_000);
            }
            expect({ route: c.name, joins: await reaches(nc, inside, `chart.routes.${c.name}`) }).toEqual({ route: c.name, joins: c.joins });
          } finally {
            await nc.close();
          }
        } finally {
          await outside.dispose();
        }
      }
    } finally {
      await inside.close();
    }
  });
});
