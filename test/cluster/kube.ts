import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { toolPath } from '#test-support';

const exec = promisify(execFile);

/** What `npm run test:cluster` hands the suites: the admin kubeconfig and the images it imported. */
export const KUBECONFIG = process.env.KUBECONFIG ?? '';
export interface ClusterImage {
  ref: string;
  archive: string;
}
/** The host's address as the cluster sees it (the host end of the node's veth): where these tests come from. */
export const HOST_IP = process.env.NESTJET_CLUSTER_HOST_IP ?? '';
/** containerd's socket on the node, for what only the node can do (a node-level kill). */
export const CONTAINERD_ADDRESS = process.env.NESTJET_CONTAINERD_ADDRESS ?? '';
export const CLUSTER_IMAGES: Record<'nestjet' | 'nats' | 'coredns' | 'pause', ClusterImage> = JSON.parse(process.env.NESTJET_CLUSTER_IMAGES ?? '{}');

if (!KUBECONFIG || !CLUSTER_IMAGES.nestjet) throw new Error('cluster suites run through `npm run test:cluster`, which brings the cluster up and sets KUBECONFIG');

const env = { ...process.env, KUBECONFIG };

/** Progress lines of the cluster suites, on stderr beside jest's own output. */
export const log = (line: string) => process.stderr.write(`[cluster] ${line}\n`);

/** kubectl against the test cluster; rejects with kubectl's own message. */
export async function kubectl(args: string[], input?: string): Promise<string> {
  const child = execFile(toolPath('kubectl'), args, { env, maxBuffer: 256 << 20 });
  if (input !== undefined) child.stdin!.end(input);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d));
    child.stderr!.on('data', (d: Buffer) => (err += d));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`kubectl ${args.join(' ')}: ${err.trim() || out.trim()}`))));
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const kubectlJson = async <T = any>(args: string[]): Promise<T> => JSON.parse(await kubectl([...args, '-o', 'json'])) as T;

export async function helm(args: string[]): Promise<string> {
  const { stdout } = await exec(toolPath('helm'), args, { env, maxBuffer: 64 << 20 }).catch((err: { stderr?: string; stdout?: string; message: string }) => {
    throw new Error(`helm ${args.join(' ')}: ${(err.stderr || err.stdout || err.message).trim()}`);
  });
  return stdout;
}

/** Ready pods of a component of a release (label app.kubernetes.io/component). */
export async function readyPods(namespace: string, selector: string): Promise<string[]> {
  const pods = await kubectlJson<{ items: Array<{ metadata: { name: string; deletionTimestamp?: string }; status: { conditions?: Array<{ type: string; status: string }> } }> }>([
    '-n',
    namespace,
    'get',
    'pods',
    '-l',
    selector,
  ]);
  return pods.items
    .filter((p) => !p.metadata.deletionTimestamp && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    .map((p) => p.metadata.name);
}

/** A Service's ClusterIP URL (the host routes the Service range to the node). */
export async function serviceUrl(namespace: string, name: string, scheme = 'http'): Promise<string> {
  const svc = await kubectlJson<{ spec: { clusterIP: string; ports: Array<{ port: number }> } }>(['-n', namespace, 'get', 'service', name]);
  return `${scheme}://${svc.spec.clusterIP}:${svc.spec.ports[0]!.port}`;
}

export interface LogEvent {
  pod: string;
  event: string;
  [key: string]: unknown;
}

/**
 * Follows the logs of every pod matching `selector`, including pods that start
 * later, and keeps their structured events: what the fault tests read from the
 * processes they start, read here from `kubectl logs -f` (a deleted pod's log
 * ends when its container does, so its last events are kept).
 */
export class PodLogCollector {
  readonly events: LogEvent[] = [];
  private readonly followed = new Map<string, ChildProcess>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly namespace: string,
    private readonly selector: string,
  ) {}

  async start(): Promise<this> {
    await this.discover();
    this.timer = setInterval(() => void this.discover().catch(() => undefined), 1000);
    return this;
  }

  of(event: string): LogEvent[] {
    return this.events.filter((e) => e.event === event);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    for (const child of this.followed.values()) child.kill();
    this.followed.clear();
  }

  private async discover(): Promise<void> {
    const pods = await kubectlJson<{ items: Array<{ metadata: { name: string }; status: { containerStatuses?: Array<{ state: { running?: unknown; terminated?: unknown } }> } }> }>([
      '-n',
      this.namespace,
      'get',
      'pods',
      '-l',
      this.selector,
    ]);
    for (const pod of pods.items) {
      const name = pod.metadata.name;
      const started = pod.status.containerStatuses?.some((s) => s.state.running || s.state.terminated);
      if (this.followed.has(name) || !started) continue;
      const child = spawn(toolPath('kubectl'), ['-n', this.namespace, 'logs', '-f', name], { env, stdio: ['ignore', 'pipe', 'ignore'] });
      this.followed.set(name, child);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (!line.startsWith('{')) return;
        try {
          const parsed = JSON.parse(line) as { event?: string };
          if (typeof parsed.event === 'string') this.events.push({ ...parsed, pod: name } as LogEvent);
        } catch {
          // not a structured line
        }
      });
    }
  }
}

/** The node PID of a container (`containerd://<id>` from a pod's status), from containerd's task list. */
export function containerPid(containerId: string): number {
  const id = containerId.replace(/^containerd:\/\//, '');
  const out = execFileSync(toolPath('ctr'), ['--address', CONTAINERD_ADDRESS, '--namespace', 'k8s.io', 'task', 'ls'], { encoding: 'utf8' });
  const line = out.split('\n').find((l) => l.startsWith(id));
  if (!line) throw new Error(`containerd has no task ${id}`);
  return Number(line.split(/\s+/)[1]);
}

export type Reach = 'open' | 'refused' | 'timeout';

// Each target is tried once a second for up to 15 s and counts as open once a
// connection succeeds: a policy controller admits a new pod's address only after
// it has seen the pod, so a first packet may be refused for a moment.
const PROBE_SCRIPT = `
const net = require('node:net');
const targets = JSON.parse(process.argv[1]);
const once = (t) => new Promise((done) => {
  const s = net.connect({ host: t.host, port: t.port });
  const end = (r) => { s.destroy(); done(r); };
  s.setTimeout(2000, () => end('timeout'));
  s.on('connect', () => end('open'));
  s.on('error', (e) => end(e.code === 'ECONNREFUSED' ? 'refused' : 'timeout'));
});
const probe = async (t) => {
  let last;
  for (let i = 0; i < 15; i++) {
    last = await once(t);
    if (last === 'open') break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return [t.host + ':' + t.port, last];
};
Promise.all(targets.map(probe)).then((r) => console.log(JSON.stringify(Object.fromEntries(r))));
`;

/**
 * Starts a throwaway pod (the nestjet image, its node) with `labels` in
 * `namespace`, which tries a TCP connection to each target with a 3 s timeout:
 * what a pod with those labels may reach under the NetworkPolicies in force.
 */
export async function probeFromPod(namespace: string, labels: Record<string, string>, targets: Array<{ host: string; port: number }>): Promise<Record<string, Reach>> {
  const name = `probe-${Date.now().toString(36)}`;
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels },
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'probe',
          image: CLUSTER_IMAGES.nestjet.ref,
          imagePullPolicy: 'Never',
          args: ['-e', PROBE_SCRIPT, JSON.stringify(targets)],
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
        },
      ],
    },
  };
  await kubectl(['apply', '-f', '-'], JSON.stringify(pod));
  try {
    for (let i = 0; i < 240; i++) {
      const phase = (await kubectlJson<{ status: { phase?: string } }>(['-n', namespace, 'get', 'pod', name])).status.phase;
      if (phase === 'Succeeded' || phase === 'Failed') break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const out = await kubectl(['-n', namespace, 'logs', name]);
    return JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, Reach>;
  } finally {
    await kubectl(['-n', namespace, 'delete', 'pod', name, '--wait=false']).catch(() => undefined);
  }
}
