import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { execForm, findObject, freePort, helmTemplate, inspect, instr, keyValues, NatsServer, parseDockerfile, postJson, ROOT, waitFor, type K8sObject } from '#test-support';

// Without a Docker engine the Dockerfile itself is never built, so this test
// takes it apart and runs what its image would run: its ENTRYPOINT + CMD (or the
// chart's args), from a directory laid out like the image's WORKDIR with exactly
// the files the runtime stage copies, against a real nats-server. (The images
// built without Docker are held to it in image-config.spec.ts and
// cluster/images.cluster-spec.ts.)

/** Minimal .dockerignore evaluation (last matching pattern wins, `!` re-includes). */
function ignored(patterns: string[], path: string): boolean {
  let out = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const p = (negate ? raw.slice(1) : raw).replace(/\/$/, '');
    const body = p
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*\*\//g, '\u0000')
      .replace(/\*/g, '[^/]*')
      .replace(/\u0000/g, '(?:.*/)?');
    const re = new RegExp(`^${body}(?:/.*)?$`);
    if (re.test(path)) out = !negate;
  }
  return out;
}

interface Proc { child: ChildProcess; events: Array<Record<string, unknown>>; raw: string[]; exit: Promise<{ code: number | null; signal: string | null }> }

function run(argv: string[], cwd: string, env: Record<string, string>): Proc {
  // Its own process group, so cleanup can kill tini and the node under it together.
  const child = spawn(argv[0]!, argv.slice(1), { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const proc: Proc = {
    child,
    events: [],
    raw: [],
    exit: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
  };
  const onLine = (line: string) => {
    proc.raw.push(line);
    try {
      // Nest logs carry the event under `message`; the smoke script logs it at the top level.
      const parsed = JSON.parse(line) as Record<string, unknown>;
      const m = typeof parsed.message === 'object' && parsed.message !== null ? (parsed.message as Record<string, unknown>) : parsed;
      if ('event' in m) proc.events.push(m);
    } catch {
      /* not JSON */
    }
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);
  return proc;
}

function secretData(objects: K8sObject[], name: string): Record<string, string> {
  const secret = findObject(objects, 'Secret', name);
  const decoded = Object.fromEntries(Object.entries((secret.data ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
  return { ...decoded, ...((secret.stringData ?? {}) as Record<string, string>) };
}

/**
 * Env of a rendered container as the kubelet would give it: its ConfigMap,
 * plain values, `secretKeyRef`s to Secrets the chart rendered, and Secret
 * volumes written under `root` (env values naming a mount path point there).
 */
function containerEnv(objects: K8sObject[], workload: K8sObject, root: string): Record<string, string> {
  const spec = workload.spec.template?.spec ?? workload.spec;
  const c = spec.containers[0];
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) Object.assign(env, findObject(objects, 'ConfigMap', from.configMapRef.name).data);
  for (const e of c.env ?? []) {
    if (typeof e.value === 'string') env[e.name] = e.value;
    const ref = e.valueFrom?.secretKeyRef as { name: string; key: string } | undefined;
    if (ref && objects.some((o) => o.kind === 'Secret' && o.metadata.name === ref.name)) env[e.name] = secretData(objects, ref.name)[ref.key]!;
  }
  for (const mount of (c.volumeMounts ?? []) as { name: string; mountPath: string }[]) {
    const volume = (spec.volumes ?? []).find((v: { name: string }) => v.name === mount.name);
    if (!volume?.secret) continue;
    const dir = join(root, mount.mountPath);
    mkdirSync(dir, { recursive: true });
    const data = secretData(objects, volume.secret.secretName);
    for (const item of (volume.secret.items ?? Object.keys(data).map((key) => ({ key, path: key }))) as { key: string; path: string }[]) {
      writeFileSync(join(dir, item.path), data[item.key]!, { mode: 0o600 });
    }
    for (const [k, v] of Object.entries(env)) if (v.startsWith(`${mount.mountPath}/`)) env[k] = join(root, v);
  }
  return env;
}

describe('container image: the Dockerfile entrypoint runs the built apps', () => {
  const dockerfile = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  const runtime = dockerfile.stages.at(-1)!;
  const procs: Proc[] = [];
  let imageRoot: string;
  let nats: NatsServer;
  let objects: K8sObject[];

  beforeAll(async () => {
    // NATS over TLS, as the minimal profile's external NATS is: its CA is the Secret nats-ca the pods mount.
    nats = await NatsServer.start({ tls: true });
    const natsCa = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'nats-ca' }, data: { 'ca.crt': readFileSync(nats.tls!.ca).toString('base64') } };
    objects = [...(await helmTemplate({ profiles: ['minimal'] })), natsCa];
    // The runtime stage's /app: exactly the paths it copies (node_modules linked, not copied).
    imageRoot = mkdtempSync(join(tmpdir(), 'nestjet-image-'));
    for (const copy of instr(runtime, 'COPY')) {
      const parts = copy.split(/\s+/).filter((p) => !p.startsWith('--chown'));
      const from = parts.find((p) => p.startsWith('--from='));
      const [src, dest] = parts.filter((p) => !p.startsWith('--')) as [string, string];
      const hostSrc = join(ROOT, from ? src.replace(/^\/src\//, '') : src);
      const target = join(imageRoot, dest);
      mkdirSync(dirname(target), { recursive: true });
      if (src.endsWith('node_modules')) symlinkSync(hostSrc, target);
      else cpSync(hostSrc, dest.endsWith('/') ? join(target, src.split('/').at(-1)!) : target, { recursive: true });
    }
  });

  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) process.kill(-p.child.pid!, 'SIGKILL');
    await nats?.dispose();
    rmSync(imageRoot, { recursive: true, force: true });
  });

  it('is multi-stage on Node 22 LTS, non-root, tini as init, OCI labels, production dependencies only', async () => {
    expect(dockerfile.stages.map((s) => s.name)).toEqual(['build', 'deps', 'runtime']);
    for (const s of dockerfile.stages) expect(s.from).toMatch(/^node:22(\.|-)/);
    // Every stage's base is pinned by digest (issue 24): the digest is a required build
    // argument without a default, so no build runs from the tag alone.
    const fromLines = readFileSync(join(ROOT, 'Dockerfile'), 'utf8').split('\n').filter((l) => l.startsWith('FROM '));
    expect(fromLines).toHaveLength(dockerfile.stages.length);
    for (const line of fromLines) expect(line).toMatch(/^FROM \$\{NODE_IMAGE\}@\$\{NODE_IMAGE_DIGEST:\?\S+\} AS \w+$/);
    expect(dockerfile.args).toMatchObject({ NODE_IMAGE: 'node:22-bookworm-slim', NODE_IMAGE_DIGEST: '' });
    expect(keyValues(runtime, 'LABEL')['org.opencontainers.image.base.digest']).toBe('${NODE_IMAGE_DIGEST}');
    expect(instr(dockerfile.stages[1]!, 'RUN').join(' ')).toMatch(/npm ci --omit=dev/);
    expect(instr(runtime, 'COPY')).toContainEqual(expect.stringMatching(/^--from=deps .*node_modules/));
    const entrypoint = execForm(runtime, 'ENTRYPOINT');
    expect(entrypoint.slice(0, 3)).toEqual(['/usr/bin/tini', '--', 'node']);
    expect(instr(runtime, 'RUN').join(' ')).toMatch(/apt-get install .*tini/);
    const [uid] = instr(runtime, 'USER')[0]!.split(':');
    const pod = findObject(objects, 'Deployment', '-consumer-orders').spec.template.spec;
    expect(Number(uid)).toBe(pod.securityContext.runAsUser);
    const labels = instr(runtime, 'LABEL').join(' ');
    for (const l of ['title', 'description', 'source', 'version', 'revision', 'created', 'licenses']) expect(labels).toContain(`org.opencontainers.image.${l}=`);

    // --omit=dev is only safe if nothing at run time imports a devDependency.
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const imported = new Set<string>();
    const walk = (dir: string) => {
      for (const e of readdirSync(dir)) {
        const p = join(dir, e);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.js') && !p.endsWith('.spec.js')) {
          for (const m of readFileSync(p, 'utf8').matchAll(/(?:from\s+|import\(\s*)['"]([^'".#][^'"]*)['"]/g)) {
            const spec = m[1]!;
            const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
            if (!spec.startsWith('node:') && !builtinModules.includes(name)) imported.add(name);
          }
        }
      }
    };
    walk(join(imageRoot, 'dist'));
    const missing = [...imported].filter((n) => !(n in pkg.dependencies));
    expect(imported.size).toBeGreaterThan(5);
    expect(missing).toEqual([]);
  });

  it('.dockerignore keeps local state out of the context but lets every COPY source in', () => {
    const patterns = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    const sources = dockerfile.stages.flatMap((s) => instr(s, 'COPY')).filter((c) => !c.includes('--from=')).flatMap((c) => c.split(/\s+/).filter((p) => !p.startsWith('--')).slice(0, -1));
    expect(sources.length).toBeGreaterThan(4);
    for (const src of sources) {
      expect({ src, exists: existsSync(join(ROOT, src)) }).toEqual({ src, exists: true });
      expect({ src, ignored: ignored(patterns, src) }).toEqual({ src, ignored: false });
    }
    for (const p of ['node_modules/x', 'dist/apps/producer/src/main.js', '.tools/bin/helm', '.git/HEAD', '.data/x', 'test/support/index.ts', 'libs/jetstream/src/config/validate-environment.spec.ts', 'helm/nestjet/values.yaml']) {
      expect({ p, ignored: ignored(patterns, p) }).toEqual({ p, ignored: true });
    }
  });

  it('provision, producer and consumer run with the image command; the helm test script passes; SIGTERM through tini drains and exits', async () => {
    const entrypoint = execForm(runtime, 'ENTRYPOINT');
    const cmd = execForm(runtime, 'CMD');
    const producerDep = findObject(objects, 'Deployment', '-producer');
    // One consumer Deployment per consumer group, each as its group's NATS user.
    const consumerDep = findObject(objects, 'Deployment', '-consumer-orders');
    const ledgerDep = findObject(objects, 'Deployment', '-consumer-ledger');
    const job = findObject(objects, 'Job', '-provision');
    // Producer relies on the image CMD; consumer and provision on the chart's args.
    expect(producerDep.spec.template.spec.containers[0].args).toEqual(cmd);
    // Not PID 1 here: registering tini as subreaper gives it the reaping role it has in the container.
    const local = { HOST: '127.0.0.1', TINI_SUBREAPER: '1' };

    // Each container with its component's NATS user, as the chart's Secrets give them.
    const prov = run([...entrypoint, ...job.spec.template.spec.containers[0].args], imageRoot, { ...containerEnv(objects, job, imageRoot), ...local, ...nats.env('provisioner') });
    procs.push(prov);
    expect((await prov.exit).code).toBe(0);

    const [producerPort, consumerPort, ledgerPort] = [await freePort(), await freePort(), await freePort()];
    const producer = run([...entrypoint, ...cmd], imageRoot, { ...containerEnv(objects, producerDep, imageRoot), ...local, ...nats.env('producer'), ...nats.dlqEnv(), PORT: String(producerPort) });
    const consumerEnv = { ...containerEnv(objects, consumerDep, imageRoot), ...local, ...nats.env('consumer-orders'), PORT: String(consumerPort), SIMULATED_WORK_MS: '1500', SHUTDOWN_TIMEOUT_MS: '8000' };
    expect((consumerEnv as Record<string, string>).CONSUMER_GROUP).toBe('orders');
    const consumer = run([...entrypoint, ...consumerDep.spec.template.spec.containers[0].args], imageRoot, consumerEnv);
    const ledgerEnv = { ...containerEnv(objects, ledgerDep, imageRoot), ...local, ...nats.env('consumer-ledger'), PORT: String(ledgerPort) };
    expect((ledgerEnv as Record<string, string>).CONSUMER_GROUP).toBe('ledger');
    const ledger = run([...entrypoint, ...ledgerDep.spec.template.spec.containers[0].args], imageRoot, ledgerEnv);
    procs.push(producer, consumer, ledger);
    const ready = (p: Proc, event: string) => () => {
      if (p.child.exitCode !== null) throw new Error(`exited: ${p.raw.slice(-10).join('\n')}`);
      return p.events.some((e) => e.event === event);
    };
    await waitFor('producer.ready', ready(producer, 'producer.ready'), 30_000);
    await waitFor('consumer.ready', ready(consumer, 'consumer.ready'), 30_000);
    await waitFor('consumer.ready (ledger)', ready(ledger, 'consumer.ready'), 30_000);
    for (const [port, path] of [[producerPort, '/readyz'], [consumerPort, '/readyz'], [consumerPort, '/healthz'], [ledgerPort, '/readyz']] as const) {
      expect((await fetch(`http://127.0.0.1:${port}${path}`)).status).toBe(200);
    }

    // The helm test Pod: same image command, the script mounted under /app/helm-test.
    mkdirSync(join(imageRoot, 'helm-test'));
    cpSync(join(ROOT, 'helm', 'nestjet', 'files', 'smoke-test.mjs'), join(imageRoot, 'helm-test', 'smoke-test.mjs'));
    const testPod = findObject(objects, 'Pod', '-smoke-test');
    const smoke = run([...entrypoint, ...testPod.spec.containers[0].args], imageRoot, {
      ...findObject(objects, 'ConfigMap', 'nestjet').data,
      // SMOKE_API_KEY: the key the chart generated; the producer got only its hash.
      ...containerEnv(objects, testPod, imageRoot),
      ...local,
      ...nats.env('operator'),
      SMOKE_URL: `http://127.0.0.1:${producerPort}`,
      SMOKE_TIMEOUT_SECONDS: '30',
    });
    procs.push(smoke);
    const smokeExit = await smoke.exit;
    if (smokeExit.code !== 0) throw new Error(`helm test script failed:\n${smoke.raw.join('\n')}`);
    // The ordered ledger acks it on the durable of the order's partition.
    expect(smoke.events.filter((e) => e.event === 'smoke.processed').map((e) => e.durable).sort()).toEqual([
      'fraud-review',
      'fulfillment',
      expect.stringMatching(/^ledger-p\d$/),
      'notifications',
    ]);

    const chartKey = { authorization: `Bearer ${secretData(objects, 'nestjet-api-key').key}` };
    // In flight at SIGTERM: a few slow orders. tini passes the signal to node, which drains and acks.
    for (let i = 0; i < 6; i++) expect((await postJson(`http://127.0.0.1:${producerPort}/v1/topics/orders.created/messages`, { orderId: `img-${i}`, customerId: 'c', amount: 5, currency: 'EUR', region: 'eu' }, chartKey)).status).toBe(202);
    const imgDone = () => consumer.events.filter((e) => e.event === 'message.processed' && e.consumer === 'fulfillment' && String(e.orderId).startsWith('img-')).length;
    await new Promise((r) => setTimeout(r, 400));
    expect(imgDone()).toBe(0); // still in their 1.5 s handlers
    const started = Date.now();
    consumer.child.kill('SIGTERM');
    producer.child.kill('SIGTERM');
    ledger.child.kill('SIGTERM');
    const [cExit, pExit, lExit] = await Promise.all([consumer.exit, producer.exit, ledger.exit]);
    const drainMs = Date.now() - started;
    // tini exits with the child's status; a node that re-raised SIGTERM after its shutdown hooks reports 128+15.
    for (const e of [cExit, pExit, lExit]) expect([0, 143]).toContain(e.code);
    expect(consumer.events.filter((e) => e.event === 'consumer.stopped')).toHaveLength(1);
    // The in-flight orders finished and were acked before the process left.
    expect(imgDone()).toBe(6);
    const { nc, jsm } = await inspect(nats);
    const info = await jsm.consumers.info('ORDERS', 'fulfillment');
    await nc.close();
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_redelivered).toBe(0);
    expect(drainMs).toBeGreaterThan(800);
    expect(drainMs).toBeLessThan(consumerDep.spec.template.spec.terminationGracePeriodSeconds * 1000);
    process.stdout.write(`image command: ${[...entrypoint, ...cmd].join(' ')} (cwd = WORKDIR ${instr(runtime, 'WORKDIR')[0]}); SIGTERM drain took ${drainMs} ms; exits ${cExit.code}/${pExit.code}\n`);
  });
});
