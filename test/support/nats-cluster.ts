import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Topology } from '#contracts';
import { freePort, NatsEndpoint, NatsUsers, toolPath, waitFor } from '#testing';

export interface ClusterNode {
  /** server_name, like the pod name the official chart uses (`<release>-nats-0`). */
  name: string;
  port: number;
  monitorPort: number;
  clusterPort: number;
  /** Address the node listens on: loopback, or its namespace's address. */
  host: string;
  /** Network namespace the node runs in (`ip netns exec`), when partitioned tests need one. */
  netns?: string;
  storeDir: string;
  child?: ChildProcess;
  exited?: Promise<void>;
  log: string[];
}

export interface NatsClusterOptions {
  /** Server names; three by default. */
  names?: string[];
  /** Extra lines inside `jetstream { }` (e.g. `sync_interval: always`). */
  jetstreamExtra?: string[];
  /** Do not advertise cluster client URLs (the official chart's default). */
  noAdvertise?: boolean;
  /** The topology the users' permissions are derived from (default: the apps' default topology). */
  topology?: Topology;
  /** Run node i in `placement[i].netns`, listening on `placement[i].host` (see NetworkNamespaces). */
  placement?: Array<{ host: string; netns: string }>;
  /** JetStream store directory of node i (e.g. on a small filesystem); default a temp dir. */
  storeDirs?: string[];
}

/**
 * A real JetStream cluster of nats-server processes on loopback: each node has
 * its own client, route and monitoring port and temp store, routes to all
 * peers, and a unique server_name (required for JetStream clustering). Every
 * node has the same generated users (see NatsServer).
 */
export class NatsCluster extends NatsEndpoint {
  readonly tls = undefined;

  private constructor(
    readonly nodes: ClusterNode[],
    private readonly work: string,
    private readonly clusterName: string,
    readonly users: NatsUsers,
  ) {
    super();
  }

  static async start(options: NatsClusterOptions = {}): Promise<NatsCluster> {
    const names = options.names ?? ['nats-0', 'nats-1', 'nats-2'];
    const nodes: ClusterNode[] = [];
    const work = mkdtempSync(join(tmpdir(), 'nestjet-nats-cluster-'));
    for (const [i, name] of names.entries()) {
      const place = options.placement?.[i];
      nodes.push({
        name,
        port: await freePort(),
        monitorPort: await freePort(),
        clusterPort: await freePort(),
        host: place?.host ?? '127.0.0.1',
        netns: place?.netns,
        storeDir: options.storeDirs?.[i] ?? join(work, name),
        log: [],
      });
    }
    const cluster = new NatsCluster(nodes, work, 'nestjet-test', new NatsUsers(options.topology));
    for (const node of nodes) cluster.writeConfig(node, options);
    await Promise.all(nodes.map((n) => cluster.launch(n)));
    await cluster.waitForMetaLeader();
    return cluster;
  }

  /** Comma-separated client URLs, as NATS_URL. */
  get url(): string {
    return this.nodes.map((n) => `nats://${n.host}:${n.port}`).join(',');
  }

  monitorUrl(node: ClusterNode): string {
    return `http://${node.host}:${node.monitorPort}`;
  }

  node(name: string): ClusterNode {
    const node = this.nodes.find((n) => n.name === name);
    if (!node) throw new Error(`no cluster node ${name}`);
    return node;
  }

  private configFile(node: ClusterNode): string {
    return join(this.work, `${node.name}.conf`);
  }

  private writeConfig(node: ClusterNode, options: NatsClusterOptions): void {
    const routes = this.nodes.filter((n) => n !== node).map((n) => `    nats-route://${n.host}:${n.clusterPort}`);
    writeFileSync(
      this.configFile(node),
      [
        `server_name: ${node.name}`,
        `listen: ${node.host}:${node.port}`,
        `http: ${node.host}:${node.monitorPort}`,
        'jetstream {',
        `  store_dir: "${node.storeDir}"`,
        '  max_memory_store: 256MB',
        // Placement reserves every stream's max_bytes on each replica: the default topology needs about 2.5 GiB.
        '  max_file_store: 4GB',
        ...(options.jetstreamExtra ?? []).map((l) => `  ${l}`),
        '}',
        'cluster {',
        `  name: ${this.clusterName}`,
        `  listen: ${node.host}:${node.clusterPort}`,
        options.noAdvertise ? '  no_advertise: true' : '',
        '  routes: [',
        ...routes,
        '  ]',
        '}',
        this.users.authorization(),
      ].join('\n'),
      { mode: 0o600 },
    );
  }

  private async launch(node: ClusterNode): Promise<void> {
    const server = [toolPath('nats-server'), '-c', this.configFile(node)];
    // `ip netns exec` execs the server in place, so the child's pid is the server's (signals reach it).
    const [cmd, ...args] = node.netns ? ['ip', 'netns', 'exec', node.netns, ...server] : server;
    const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    node.child = child;
    node.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const collect = (b: Buffer) => node.log.push(...b.toString().split('\n').filter(Boolean));
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    await waitFor(
      `${node.name} monitoring endpoint`,
      async () => {
        if (child.exitCode !== null) throw new Error(`${node.name} exited: ${node.log.slice(-5).join(' | ')}`);
        return (await fetch(`${this.monitorUrl(node)}/varz`)).ok;
      },
      20_000,
    );
  }

  /** Stops a node (SIGKILL: a crash; SIGTERM: a clean shutdown) and waits for it to exit. */
  async stop(node: ClusterNode, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!node.child || node.child.exitCode !== null || node.child.signalCode !== null) return;
    node.child.kill(signal);
    await node.exited;
  }

  /** Starts a stopped node again on the same ports and store. */
  async start(node: ClusterNode): Promise<void> {
    await this.launch(node);
  }

  async restart(node: ClusterNode, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.stop(node, signal);
    await this.launch(node);
  }

  /**
   * What the kubelet does with the official nats chart's liveness probe
   * (`/healthz?js-enabled-only=true`, restart after `failureThreshold`
   * consecutive failures; the chart probes every 30 s, tests faster) until the
   * cluster is healthy or `timeoutMs` passes. Returns the nodes it restarted.
   */
  async superviseLiveness({ periodMs = 2_000, failureThreshold = 3, timeoutMs = 90_000 } = {}): Promise<string[]> {
    const restarted: string[] = [];
    const failures = new Map<string, number>();
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await this.waitHealthy(periodMs).then(() => true, () => false)) return restarted;
      for (const node of this.nodes) {
        const live = await fetch(`${this.monitorUrl(node)}/healthz?js-enabled-only=true`).then((r) => r.ok, () => false);
        const count = live ? 0 : (failures.get(node.name) ?? 0) + 1;
        failures.set(node.name, count);
        if (count >= failureThreshold) {
          await this.restart(node, 'SIGTERM');
          restarted.push(node.name);
          failures.set(node.name, 0);
        }
      }
    }
    throw new Error(`the cluster did not become healthy within ${timeoutMs} ms under the liveness probe (restarted: ${restarted.join(', ') || 'none'})`);
  }

  /** The meta leader's server name, as the first node that answers reports it. */
  async metaLeader(): Promise<string> {
    return waitFor('a JetStream meta leader', async () => {
      for (const n of this.nodes) {
        const leader = await this.monitor<{ meta_cluster?: { leader?: string } }>(n, '/jsz').then((v) => v.meta_cluster?.leader, () => undefined);
        if (leader) return leader;
      }
      return undefined;
    }, 30_000, 200);
  }

  /** The node that reports itself leader of `stream` (the Raft group's view, not a cached one). */
  async streamLeader(stream: string): Promise<ClusterNode> {
    return waitFor(`a leader of stream ${stream}`, async () => {
      for (const n of this.nodes) {
        const jsz = await this.monitor<{ account_details?: Array<{ stream_detail?: Array<{ name: string; cluster?: { leader?: string } }> }> }>(n, '/jsz?accounts=true&streams=true').catch(() => undefined);
        const detail = jsz?.account_details?.flatMap((a) => a.stream_detail ?? []).find((s) => s.name === stream);
        if (detail?.cluster?.leader === n.name) return n;
      }
      return undefined;
    }, 30_000, 200);
  }

  /** Waits until every node is up and agrees on one meta leader (JetStream healthy everywhere). */
  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    await this.waitForMetaLeader(timeoutMs);
  }

  /** JetStream is usable once every node sees the same meta leader and full cluster. */
  private async waitForMetaLeader(timeoutMs = 30_000): Promise<void> {
    await waitFor(
      'JetStream meta leader elected and cluster healthy',
      async () => {
        const views = await Promise.all(this.nodes.map((n) => this.monitor<{ meta_cluster?: { leader?: string; cluster_size?: number } }>(n, '/jsz')));
        const leaders = new Set(views.map((v) => v.meta_cluster?.leader));
        const healthy = await Promise.all(this.nodes.map(async (n) => (await fetch(`${this.monitorUrl(n)}/healthz?js-enabled-only=true`)).ok));
        return leaders.size === 1 && !leaders.has(undefined) && !leaders.has('') && healthy.every(Boolean) && views.every((v) => v.meta_cluster?.cluster_size === this.nodes.length);
      },
      timeoutMs,
      200,
    );
  }

  async monitor<T = Record<string, unknown>>(node: ClusterNode, path: string): Promise<T> {
    const r = await fetch(`${this.monitorUrl(node)}${path}`);
    if (!r.ok) throw new Error(`GET ${node.name}${path}: ${r.status}`);
    return (await r.json()) as T;
  }

  async dispose(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.stop(n, 'SIGKILL')));
    rmSync(this.work, { recursive: true, force: true });
  }
}
