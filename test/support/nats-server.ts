import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toolPath } from './paths.js';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

export interface NatsServerOptions {
  /** Reuse a store directory (e.g. to restart on the same data). */
  storeDir?: string;
  /** fsync every write (`sync_interval: always`). */
  syncAlways?: boolean;
}

/**
 * A real nats-server with JetStream on free loopback ports and a temp store,
 * owned by the test. `restart()` keeps ports and data.
 */
export class NatsServer {
  private child?: ChildProcess;
  private exited?: Promise<number | null>;
  readonly log: string[] = [];

  private constructor(
    readonly port: number,
    readonly monitorPort: number,
    readonly storeDir: string,
    private readonly configFile: string,
    private readonly ownsStore: boolean,
  ) {}

  static async start(options: NatsServerOptions = {}): Promise<NatsServer> {
    const [port, monitorPort] = [await freePort(), await freePort()];
    const work = mkdtempSync(join(tmpdir(), 'nestjet-nats-'));
    const storeDir = options.storeDir ?? join(work, 'store');
    const configFile = join(work, 'nats.conf');
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
      ].join('\n'),
    );
    const server = new NatsServer(port, monitorPort, storeDir, configFile, !options.storeDir);
    await server.launch();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
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
    if (this.ownsStore) rmSync(join(this.storeDir, '..'), { recursive: true, force: true });
  }

  /** GET a monitoring endpoint (`/jsz?...`, `/varz`) as JSON. */
  async monitor<T = Record<string, unknown>>(path: string): Promise<T> {
    const r = await fetch(`${this.monitorUrl}${path}`);
    if (!r.ok) throw new Error(`GET ${path}: ${r.status}`);
    return (await r.json()) as T;
  }
}
