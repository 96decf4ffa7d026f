import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Topology } from '#contracts';
import { NatsEndpoint, NatsUsers } from './nats-users.js';
import { toolPath } from './paths.js';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

export interface ClusterNode {
  /** server_name, like the pod name the official chart uses (`<release>-nats-0`). */
  name: string;
  port: number;
  monitorPort: number;
  clusterPort: number;
  child?: ChildProcess;
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
    for (const name of names) {
      nodes.push({ name, port: await freePort(), monitorPort: await freePort(), clusterPort: await freePort(), log: [] });
    }
    const work = mkdtempSync(join(tmpdir(), 'nestjet-nats-cluster-'));
    const cluster = new NatsCluster(nodes, work, 'nestjet-test', new NatsUsers(options.topology));
    for (const node of nodes) cluster.writeConfig(node, options);
    await Promise.all(nodes.map((n) => cluster.launch(n)));
    await cluster.waitForMetaLeader();
    return cluster;
  }

  /** Comma-separated client URLs, as NATS_URL. */
  get url(): string {
    return this.nodes.map((n) => `nats://127.0.0.1:${n.port}`).join(',');
  }

  monitorUrl(node: ClusterNode): string {
    return `http://127.0.0.1:${node.monitorPort}`;
  }

  private configFile(node: ClusterNode): string {
    return join(this.work, `${node.name}.conf`);
  }

  private writeConfig(node: ClusterNode, options: NatsClusterOptions): void {
    const routes = this.nodes.filter((n) => n !== node).map((n) => `    nats-route://127.0.0.1:${n.clusterPort}`);
    writeFileSync(
      this.configFile(node),
      [
        `server_name: ${node.name}`,
        `listen: 127.0.0.1:${node.port}`,
        `http: 127.0.0.1:${node.monitorPort}`,
        'jetstream {',
        `  store_dir: "${join(this.work, node.name)}"`,
        '  max_memory_store: 256MB',
        '  max_file_store: 2GB',
        ...(options.jetstreamExtra ?? []).map((l) => `  ${l}`),
        '}',
        'cluster {',
        `  name: ${this.clusterName}`,
        `  listen: 127.0.0.1:${node.clusterPort}`,
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
    const child = spawn(toolPath('nats-server'), ['-c', this.configFile(node)], { stdio: ['ignore', 'pipe', 'pipe'] });
    node.child = child;
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

  /** JetStream is usable once every node sees the same meta leader and full cluster. */
  private async waitForMetaLeader(): Promise<void> {
    await waitFor(
      'JetStream meta leader elected and cluster healthy',
      async () => {
        const views = await Promise.all(this.nodes.map((n) => this.monitor<{ meta_cluster?: { leader?: string; cluster_size?: number } }>(n, '/jsz')));
        const leaders = new Set(views.map((v) => v.meta_cluster?.leader));
        const healthy = await Promise.all(this.nodes.map(async (n) => (await fetch(`${this.monitorUrl(n)}/healthz?js-enabled-only=true`)).ok));
        return leaders.size === 1 && !leaders.has(undefined) && !leaders.has('') && healthy.every(Boolean) && views.every((v) => v.meta_cluster?.cluster_size === this.nodes.length);
      },
      30_000,
      200,
    );
  }

  async monitor<T = Record<string, unknown>>(node: ClusterNode, path: string): Promise<T> {
    const r = await fetch(`${this.monitorUrl(node)}${path}`);
    if (!r.ok) throw new Error(`GET ${node.name}${path}: ${r.status}`);
    return (await r.json()) as T;
  }

  async dispose(): Promise<void> {
    await Promise.all(
      this.nodes.map(async (n) => {
        if (n.child && n.child.exitCode === null) {
          const exited = new Promise((r) => n.child!.once('exit', r));
          n.child.kill('SIGKILL');
          await exited;
        }
      }),
    );
    rmSync(this.work, { recursive: true, force: true });
  }
}
