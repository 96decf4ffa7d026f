import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jaegerConfig, type JaegerPorts } from './jaeger-config.js';
import { freePort, toolPath, waitFor } from '#testing';

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: 'CHILD_OF' | 'FOLLOWS_FROM'; traceID: string; spanID: string }[];
  tags: { key: string; value: unknown }[];
  processID: string;
  logs: unknown[];
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

/** A real Jaeger (v2, in-memory) on free loopback ports, queried through its HTTP API. */
export class Jaeger {
  private constructor(
    private readonly child: ChildProcess,
    readonly ports: JaegerPorts,
    private readonly dir: string,
    readonly log: string[],
  ) {}

  static async start(): Promise<Jaeger> {
    const ports = {
      otlpGrpc: await freePort(),
      otlpHttp: await freePort(),
      query: await freePort(),
      queryGrpc: await freePort(),
      health: await freePort(),
    };
    const dir = mkdtempSync(join(tmpdir(), 'nestjet-jaeger-'));
    const config = join(dir, 'jaeger.yaml');
    writeFileSync(config, jaegerConfig(ports));
    const child = spawn(toolPath('jaeger'), ['--config', `file:${config}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    const log: string[] = [];
    child.stdout!.on('data', (b: Buffer) => log.push(b.toString()));
    child.stderr!.on('data', (b: Buffer) => log.push(b.toString()));
    const jaeger = new Jaeger(child, ports, dir, log);
    await waitFor('jaeger to be healthy', async () => {
      if (child.exitCode !== null) throw new Error(`jaeger exited: ${log.join('').slice(-500)}`);
      return (await fetch(`http://127.0.0.1:${ports.health}/status`)).ok;
    }, 30_000);
    return jaeger;
  }

  /** OTLP/HTTP endpoint for OTEL_EXPORTER_OTLP_ENDPOINT. */
  get otlpEndpoint(): string {
    return `http://127.0.0.1:${this.ports.otlpHttp}`;
  }

  get queryUrl(): string {
    return `http://127.0.0.1:${this.ports.query}`;
  }

  async trace(traceId: string): Promise<JaegerTrace | null> {
    const r = await fetch(`${this.queryUrl}/api/traces/${traceId}`);
    if (r.status === 404) return null;
    const body = (await r.json()) as { data?: JaegerTrace[] };
    return body.data?.[0] ?? null;
  }

  /** Traces of `service` with a span carrying every tag given (Jaeger's search, last hour). */
  async find(service: string, tags: Record<string, string>): Promise<JaegerTrace[]> {
    const query = new URLSearchParams({ service, tags: JSON.stringify(tags), lookback: '1h', limit: '20' });
    const r = await fetch(`${this.queryUrl}/api/traces?${query}`);
    if (r.status === 404) return [];
    return ((await r.json()) as { data?: JaegerTrace[] | null }).data ?? [];
  }

  async services(): Promise<string[]> {
    const body = (await (await fetch(`${this.queryUrl}/api/services`)).json()) as { data: string[] | null };
    return body.data ?? [];
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      this.child.kill('SIGKILL');
      await new Promise((r) => this.child.once('exit', r));
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function tag(span: JaegerSpan, key: string): unknown {
  return span.tags.find((t) => t.key === key)?.value;
}
