import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Topology } from '#contracts';
import { NatsEndpoint, NatsUsers } from './nats-users.js';
import { toolPath } from '../support/tool-path.js';
import { freePort } from '../support/ports.js';
import { generateTlsFiles, type TlsFiles } from './tls-certificates.js';
import { waitFor } from '../support/wait.js';

export interface NatsServerOptions {
  /** Reuse a store directory (e.g. to restart on the same data). */
  storeDir?: string;
  /** fsync every write (`sync_interval: always`). */
  syncAlways?: boolean;
  /** The topology the users' permissions are derived from (default: the apps' default topology). */
  topology?: Topology;
  /** Require TLS with client certificates (a CA, server and client certificate generated for this server). */
  tls?: boolean;
  /** nats-server feature flags, e.g. `{ js_ack_fc_v2: true }`. */
  featureFlags?: Record<string, boolean>;
  /** Also a test-only user without restrictions (`connectIntruder()`): the attacker of forgery tests. */
  intruder?: boolean;
}

/**
 * A real nats-server with JetStream on free loopback ports and a temp store,
 * owned by the test, with one user per component (random passwords, the
 * permissions of `natsPermissions`) and no anonymous access.
 * `restart()` keeps ports, users and data.
 */
export class NatsServer extends NatsEndpoint {
  private child?: ChildProcess;
  private exited?: Promise<number | null>;
  readonly log: string[] = [];

  private constructor(
    readonly port: number,
    readonly monitorPort: number,
    readonly storeDir: string,
    private readonly configFile: string,
    private readonly work: string,
    readonly users: NatsUsers,
    readonly tls: TlsFiles | undefined,
  ) {
    super();
  }

  static async start(options: NatsServerOptions = {}): Promise<NatsServer> {
    const [port, monitorPort] = [await freePort(), await freePort()];
    const work = mkdtempSync(join(tmpdir(), 'nestjet-nats-'));
    const storeDir = options.storeDir ?? join(work, 'store');
    const configFile = join(work, 'nats.conf');
    const users = new NatsUsers(options.topology, options.intruder);
    const tls = options.tls ? generateTlsFiles(join(work, 'tls')) : undefined;
    writeFileSync(
      configFile,
      [
        `server_name: test-${port}`,
        `listen: 127.0.0.1:${port}`,
        `http: 127.0.0.1:${monitorPort}`,
        'jetstream {',
        `  store_dir: "${storeDir}"`,
        '  max_memory_store: 256MB',
        '  max_file_store: 4GB',
        options.syncAlways ? '  sync_interval: always' : '',
        '}',
        ...(tls ? ['tls {', `  cert_file: "${tls.serverCert}"`, `  key_file: "${tls.serverKey}"`, `  ca_file: "${tls.ca}"`, '  verify: true', '}'] : []),
        ...(options.featureFlags ? ['feature_flags {', ...Object.entries(options.featureFlags).map(([k, v]) => `  ${k}: ${v}`), '}'] : []),
        users.authorization(),
      ].join('\n'),
      { mode: 0o600 },
    );
    const server = new NatsServer(port, monitorPort, storeDir, configFile, work, users, tls);
    await server.launch();
    return server;
  }

  get url(): string {
    return `${this.tls ? 'tls' : 'nats'}://127.0.0.1:${this.port}`;
  }

  /** Permission violations the server logged (publish and subscribe), for asserting that none happened. */
  violations(): string[] {
    return this.log.filter((l) => /(Publish|Subscription) Violation/.test(l));
  }

  get monitorUrl(): string {
    return `http://127.0.0.1:${this.monitorPort}`;
  }

  private async launch(): Promise<void> {
    const child = spawn(toolPath('nats-server'), ['-c', this.configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const collect = (b: Buffer) => this.log.push(...b.toString().split('\n').filter(Boolean));
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    await waitFor(
      `nats-server on ${this.port} to be ready`,
      async () => {
        if (child.exitCode !== null) throw new Error(`nats-server exited: ${this.log.slice(-5).join(' | ')}`);
        const r = await fetch(`${this.monitorUrl}/healthz?js-enabled-only=true`);
        return r.ok;
      },
      20_000,
    );
  }

  /** Stops the server (SIGTERM: clean shutdown; SIGKILL: crash) and waits for it to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill(signal);
    await this.exited;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  async dispose(): Promise<void> {
    await this.stop('SIGKILL');
    // The work dir holds config, TLS files and (unless given) the store.
    rmSync(this.work, { recursive: true, force: true });
  }

  /** GET a monitoring endpoint (`/jsz?...`, `/varz`) as JSON. */
  async monitor<T = Record<string, unknown>>(path: string): Promise<T> {
    const r = await fetch(`${this.monitorUrl}${path}`);
    if (!r.ok) throw new Error(`GET ${path}: ${r.status}`);
    return (await r.json()) as T;
  }
}
