import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT } from './run.mjs';

export const DATA = join(ROOT, '.data');

export const PORTS = { nats: 4222, natsMonitor: 8222, producer: 3000, consumer: 3001 };

/** Jaeger's usual ports: UI/API 16686, OTLP gRPC 4317 and HTTP 4318. */
export const JAEGER_PORTS = { query: 16686, queryGrpc: 16685, otlpGrpc: 4317, otlpHttp: 4318, health: 13133 };

export function portFree(port) {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** nats-server config for the local stack: JetStream on disk under .data/, monitoring on 8222. */
export function writeNatsConfig() {
  mkdirSync(DATA, { recursive: true });
  const file = join(DATA, 'nats.conf');
  writeFileSync(
    file,
    [
      'server_name: nestjet-local',
      `listen: 127.0.0.1:${PORTS.nats}`,
      `http: 127.0.0.1:${PORTS.natsMonitor}`,
      'jetstream {',
      `  store_dir: "${join(DATA, 'jetstream')}"`,
      '}',
    ].join('\n') + '\n',
  );
  return file;
}

export async function waitForHttp(url, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not up yet */
    }
    await sleep(200);
  }
  throw new Error(`${what} did not become ready at ${url} within ${timeoutMs / 1000} s`);
}

export const hasData = () => existsSync(join(DATA, 'jetstream'));

/**
 * Writes .data/jaeger.yaml. The config builder is shared with the tests
 * (test/support/jaeger-config.ts, compiled by the build that npm start runs first).
 */
export async function writeJaegerConfig(uiAssets) {
  const { jaegerConfig } = await import(join(ROOT, 'dist', 'test', 'support', 'jaeger-config.js'));
  mkdirSync(DATA, { recursive: true });
  const file = join(DATA, 'jaeger.yaml');
  writeFileSync(file, jaegerConfig(JAEGER_PORTS, '127.0.0.1', uiAssets));
  return file;
}
