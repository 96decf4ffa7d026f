import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { DIST } from './paths.js';
import { waitFor } from '#testing';

/** One JSON log line of a nestjet process (pino: object messages merged at the top level). */
export interface LogLine {
  level: string;
  context?: string;
  event?: string;
  msg?: string;
  trace_id?: string;
  span_id?: string;
  [key: string]: unknown;
}

export interface EventLine {
  event: string;
  [key: string]: unknown;
}

const TAIL_LINES = 50;

export const ENTRYPOINTS = {
  producer: join(DIST, 'apps', 'producer', 'src', 'main.js'),
  consumer: join(DIST, 'apps', 'consumer', 'src', 'main.js'),
  provision: join(DIST, 'apps', 'consumer', 'src', 'provision.js'),
} as const;

/**
 * A nestjet app run as its own Node process, exactly as in production, with
 * its JSON log lines parsed so tests can assert on what it did.
 */
export class AppProcess {
  readonly lines: LogLine[] = [];
  readonly raw: string[] = [];
  private tailOnly = false;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    const onLine = (line: string) => {
      this.raw.push(line);
      if (this.tailOnly) {
        if (this.raw.length > TAIL_LINES) this.raw.shift();
        return;
      }
      if (line.startsWith('{')) {
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          /* a partial or foreign line: kept in raw only */
        }
      }
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Starts `script` with `env` and waits for the log event `readyEvent`. */
  static async start(
    name: string,
    script: string,
    env: Record<string, string>,
    readyEvent?: string,
    timeoutMs = 30_000,
    args: string[] = [],
  ): Promise<AppProcess> {
    const child = spawn(process.execPath, ['--enable-source-maps', script, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'log', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const app = new AppProcess(name, child);
    if (readyEvent) {
      await waitFor(
        `${name} to log ${readyEvent}`,
        () => {
          if (child.exitCode !== null) throw new Error(`${name} exited early:\n${app.raw.slice(-15).join('\n')}`);
          return app.events(readyEvent).length > 0;
        },
        timeoutMs,
      );
    }
    return app;
  }

  /**
   * From now on keep only the last lines, unparsed (for `tail()`): a soak's
   * millions of log lines would otherwise grow the test process, not the app.
   */
  keepOnlyTail(): void {
    this.tailOnly = true;
    this.raw.splice(0, Math.max(0, this.raw.length - TAIL_LINES));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Structured events (log lines with an `event` field), optionally of one name. */
  events(name?: string): EventLine[] {
    return this.lines
      .filter((l): l is LogLine & EventLine => typeof l.event === 'string')
      .filter((l) => name === undefined || l.event === name);
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) this.child.kill(sig);
  }

  waitForExit(timeoutMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return Promise.race([
      this.exited,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`${this.name} did not exit within ${timeoutMs} ms`)), timeoutMs).unref(),
      ),
    ]);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.signal('SIGKILL');
    await this.exited;
  }

  tail(n = 20): string {
    return this.raw.slice(-n).join('\n');
  }
}

/** The processes one test (or suite) started, stopped together afterwards. */
export class AppGroup {
  private readonly apps: AppProcess[] = [];

  async add<T extends AppProcess>(app: T | Promise<T>): Promise<T> {
    const started = await app;
    this.apps.push(started);
    return started;
  }

  async stopAll(): Promise<void> {
    const apps = this.apps.splice(0);
    await Promise.all(apps.map((a) => a.stop()));
  }
}
