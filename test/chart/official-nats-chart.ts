import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { natsInboxPrefix } from '#jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { CHART_DIR, findObject, freePort, ROOT, toolPath, waitFor, type K8sObject } from '#test-support';

/** The NATS users the chart creates: the keys of files/nats-permissions.json (the components and one consumer-<group> per consumer group). */
export const CHART_NATS_USERS: readonly string[] = Object.keys(JSON.parse(readFileSync(join(CHART_DIR, 'files', 'nats-permissions.json'), 'utf8')) as object);

/**
 * The official nats chart 1.3.16 (the last 1.x release, helm/charts/nats of
 * nats-io/k8s at 1f8121f, packaged with `helm package`), kept as a test fixture:
 * `helm dependency build` needs the chart repository, which tests cannot reach.
 */
export const OFFICIAL_NATS_CHART = join(ROOT, 'test', 'chart', 'fixtures', 'nats-1.3.16.tgz');

/** A copy of the real chart, Chart.yaml untouched, with the nats dependency vendored as `helm dependency build` would. */
export function chartWithOfficialNats(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'nestjet-full-chart-')), 'nestjet');
  cpSync(CHART_DIR, dir, { recursive: true });
  mkdirSync(join(dir, 'charts'), { recursive: true });
  cpSync(OFFICIAL_NATS_CHART, join(dir, 'charts', 'nats-1.3.16.tgz'));
  return dir;
}

const decode = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');

type Volume = { name: string; configMap?: { name: string }; secret?: { secretName: string; optional?: boolean; items?: Array<{ key: string; path: string }> } };

/** The files a ConfigMap or Secret volume of a pod shows at its mount path (other volume kinds: none). */
export function volumeFiles(objects: K8sObject[], pod: { volumes?: Volume[] }, volumeName: string): Record<string, string> {
  const volume = (pod.volumes ?? []).find((v) => v.name === volumeName);
  let data: Record<string, string> = {};
  if (volume?.configMap) data = findObject(objects, 'ConfigMap', volume.configMap.name).data as Record<string, string>;
  if (volume?.secret) {
    // An optional Secret that does not exist shows an empty directory, as in a pod.
    if (volume.secret.optional && !objects.some((o) => o.kind === 'Secret' && o.metadata.name === volume.secret!.secretName)) return {};
    const encoded = findObject(objects, 'Secret', volume.secret.secretName).data as Record<string, string>;
    data = Object.fromEntries(Object.entries(encoded).map(([k, v]) => [k, decode(v)]));
  }
  const items = volume?.secret?.items;
  return items ? Object.fromEntries(items.map((i) => [i.path, data[i.key]!])) : data;
}

/** Content of the file an env var of a workload's container points at (a path under one of its mounts). */
export function mountedFileOf(objects: K8sObject[], workload: K8sObject, envName: string): string {
  const pod = workload.kind === 'Pod' ? workload.spec : workload.spec.template.spec;
  const c = pod.containers[0];
  const path = (c.env as Array<{ name: string; value?: string }>).find((e) => e.name === envName)?.value;
  if (!path) throw new Error(`${workload.metadata.name} has no ${envName}`);
  const mount = (c.volumeMounts as Array<{ name: string; mountPath: string }>).find((m) => path.startsWith(`${m.mountPath}/`));
  if (!mount) throw new Error(`${envName}=${path} is under no volume mount of ${workload.metadata.name}`);
  const content = volumeFiles(objects, pod, mount.name)[path.slice(mount.mountPath.length + 1)];
  if (content === undefined) throw new Error(`${envName}=${path}: the volume ${mount.name} has no such file`);
  return content;
}

/**
 * Runs the nats container of a rendered StatefulSet the way the kubelet would,
 * with a real nats-server: ConfigMap volumes written under a temp root at their
 * mount paths, env from literal values and from the rendered Secrets, the
 * container's own args (paths moved under the root). Render it with cluster
 * and monitor off and free ports, since it runs on loopback.
 */
export class RenderedNatsServer {
  private constructor(
    private readonly child: ChildProcess,
    private readonly root: string,
    readonly url: string,
    readonly log: string[],
    /** The CA the rendered tls blocks name (nats.tlsCA), as written under the root; undefined without TLS. */
    readonly caFile: string | undefined,
  ) {}

  /** `podName`: what $(POD_NAME) stands for (the server_name), for several servers of one rendered cluster. */
  static async start(objects: K8sObject[], statefulSetSuffix: string, port: number, podName = 'nats-0'): Promise<RenderedNatsServer> {
    const sts = findObject(objects, 'StatefulSet', statefulSetSuffix);
    const pod = sts.spec.template.spec;
    const container = pod.containers.find((c: { name: string }) => c.name === 'nats');
    const root = mkdtempSync(join(tmpdir(), 'nestjet-nats-pod-'));
    // ConfigMap and Secret volumes; the JetStream volume is the temp store dir itself.
    const mounts = (container.volumeMounts as Array<{ name: string; mountPath: string }>).filter((m) =>
      (pod.volumes as Volume[]).some((v) => v.name === m.name && (v.configMap || v.secret)),
    );
    // The config names files by their absolute path in the container: move those under the root too.
    const chroot = (text: string) => mounts.reduce((t, m) => t.replaceAll(`"${m.mountPath}/`, `"${join(root, m.mountPath)}/`), text);
    for (const mount of mounts) {
      for (const [file, content] of Object.entries(volumeFiles(objects, pod, mount.name))) {
        const path = join(root, mount.mountPath, file);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, chroot(content));
      }
    }
    const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
    for (const e of container.env as Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>) {
      if (e.value !== undefined) env[e.name] = e.value.replace('$(POD_NAME)', podName);
      const ref = e.valueFrom?.secretKeyRef;
      if (ref) {
        const secret = findObject(objects, 'Secret', ref.name);
        env[e.name] = decode(secret.data[ref.key]);
      }
    }
    const args = (container.args as string[]).map((a) => (a.startsWith('/') ? join(root, a) : a));
    const child = spawn(toolPath('nats-server'), [...args, '-a', '127.0.0.1'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const log: string[] = [];
    const collect = (b: Buffer) => log.push(...b.toString().split('\n').filter(Boolean));
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    const caMount = (container.volumeMounts as Array<{ name: string; mountPath: string }>).find((m) => m.name === 'tls-ca');
    const caFile = caMount ? join(root, caMount.mountPath, 'ca.crt') : undefined;
    const server = new RenderedNatsServer(child, root, `nats://127.0.0.1:${port}`, log, caFile);
    const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`nats-server exited ${code}: ${log.slice(-5).join(' | ')}`))));
    exited.catch(() => undefined);
    await Promise.race([waitFor('the rendered nats-server to accept connections', () => log.some((l) => l.includes('Server is ready')), 20_000), exited]);
    return server;
  }

  /** Values that let the rendered server run on loopback: one node, no monitor, a temp store, a free port. */
  static async localValues(): Promise<{ set: Record<string, string | number | boolean>; port: number }> {
    const port = await freePort();
    const store = mkdtempSync(join(tmpdir(), 'nestjet-nats-store-'));
    return {
      port,
      set: {
        'nats.config.cluster.enabled': false,
        'nats.config.monitor.enabled': false,
        'nats.config.nats.port': port,
        'nats.config.jetstream.fileStore.dir': store,
        'nats.config.merge.pid_file': join(store, 'nats.pid'),
      },
    };
  }

  /** Trusts the rendered CA unless told otherwise (caFile null: no CA, the system roots). */
  connect(user?: string, pass?: string, caFile: string | null | undefined = this.caFile): Promise<NatsConnection> {
    // Each nestjet user may only read replies in its own inbox, as the apps do (NATS_USER names the component).
    const inboxPrefix = CHART_NATS_USERS.includes(user ?? '') ? natsInboxPrefix(user!) : undefined;
    return connect({ servers: this.url, user, pass, inboxPrefix, reconnect: false, name: `chart-test-${user ?? 'anonymous'}`, tls: caFile ? { caFile } : undefined });
  }

  async dispose(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGKILL');
      await exited;
    }
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** The password of a NATS user from the rendered Secret <nats>-<user>. */
export function renderedPassword(objects: K8sObject[], secretName: string): string {
  return decode(findObject(objects, 'Secret', secretName).data.password);
}

/**
 * Whether the server lets this connection publish to `subject`: a request is
 * refused with a permissions violation, or answered / timed out / no responders.
 */
export async function mayPublish(nc: NatsConnection, subject: string): Promise<boolean> {
  try {
    await nc.request(subject, '{}', { timeout: 1500 });
    return true;
  } catch (err) {
    if ((err as Error).name === 'PermissionViolationError' || /permissions violation/i.test(String(err))) return false;
    return true;
  }
}
