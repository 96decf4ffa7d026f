import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT } from './run.mjs';

/** The local stack's state; NESTJET_DATA_DIR moves it (tests use a temp dir). */
export const DATA = process.env.NESTJET_DATA_DIR || join(ROOT, '.data');

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

const USERS_FILE = join(DATA, 'nats-users.json');
export const NATS_CONTEXT_FILE = join(DATA, 'nats-context.json');
export const DLQ_CLI_ENV_FILE = join(DATA, 'dlq.env');

/** Writes a file only its owner can read (it holds passwords). */
function writeSecret(file, text) {
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** One password per NATS component, generated on first start and kept in .data/nats-users.json. */
function localPasswords(components) {
  const saved = existsSync(USERS_FILE) ? JSON.parse(readFileSync(USERS_FILE, 'utf8')) : {};
  const passwords = Object.fromEntries(components.map((c) => [c, saved[c] ?? randomBytes(18).toString('base64url')]));
  writeSecret(USERS_FILE, `${JSON.stringify(passwords, null, 2)}\n`);
  return passwords;
}

/**
 * The local NATS: nats-server config with one user per component (the
 * permissions of libs/jetstream/src/security, for the topology the apps
 * declare), optionally TLS with client certificates from a local CA
 * (.data/tls), the `nats` CLI context of the operator user and the env file
 * of the dlq CLI. Needs the build (dist/).
 */
export async function prepareLocalNats({ tls = false } = {}) {
  const { buildTopology } = await import('#contracts');
  const { JetStreamEnvironment, NATS_COMPONENTS, natsAuthorization, natsInboxPrefix, validateEnvironment } = await import('#jetstream');
  mkdirSync(DATA, { recursive: true });
  const passwords = localPasswords(NATS_COMPONENTS);
  const certs = tls ? (await import(join(ROOT, 'dist', 'libs', 'testing', 'src', 'nats', 'tls-certificates.js'))).generateTlsFiles(join(DATA, 'tls')) : null;
  const url = `${certs ? 'tls' : 'nats'}://127.0.0.1:${PORTS.nats}`;
  const topology = validateEnvironment(JetStreamEnvironment, { ...process.env, NATS_URL: url }).topology(buildTopology);

  const conf = join(DATA, 'nats.conf');
  writeSecret(
    conf,
    [
      'server_name: nestjet-local',
      `listen: 127.0.0.1:${PORTS.nats}`,
      `http: 127.0.0.1:${PORTS.natsMonitor}`,
      'jetstream {',
      `  store_dir: "${join(DATA, 'jetstream')}"`,
      '}',
      ...(certs ? ['tls {', `  cert_file: "${certs.serverCert}"`, `  key_file: "${certs.serverKey}"`, `  ca_file: "${certs.ca}"`, '  verify: true', '}'] : []),
      natsAuthorization(topology, passwords),
    ].join('\n'),
  );

  const tlsEnv = certs ? { NATS_TLS_CA: certs.ca, NATS_TLS_CERT: certs.clientCert, NATS_TLS_KEY: certs.clientKey } : {};
  const env = (component) => ({ NATS_URL: url, NATS_USER: component, NATS_PASSWORD: passwords[component], ...tlsEnv });
  // The nats CLI reads a context from a file path ending in .json (natscli ≥ 0.2).
  writeSecret(
    NATS_CONTEXT_FILE,
    `${JSON.stringify(
      {
        description: 'nestjet local stack, operator user (written by npm start)',
        url,
        user: 'operator',
        password: passwords.operator,
        inbox_prefix: natsInboxPrefix('operator'),
        ca: certs?.ca ?? '',
        cert: certs?.clientCert ?? '',
        key: certs?.clientKey ?? '',
      },
      null,
      2,
    )}\n`,
  );
  writeSecret(DLQ_CLI_ENV_FILE, `${Object.entries(env('dlq')).map(([k, v]) => `${k}=${v}`).join('\n')}\n`);
  return { conf, url, tls: Boolean(certs), env, dlqEnv: () => ({ DLQ_NATS_USER: 'dlq', DLQ_NATS_PASSWORD: passwords.dlq }) };
}

/** nats.js options to reach the running local stack as `component` (for scripts such as the demo). */
export async function localNatsOptions(component) {
  const { natsInboxPrefix } = await import('#jetstream');
  if (!existsSync(NATS_CONTEXT_FILE) || !existsSync(USERS_FILE)) throw new Error('no local NATS credentials in .data/; run `npm start` first');
  const context = JSON.parse(readFileSync(NATS_CONTEXT_FILE, 'utf8'));
  const passwords = JSON.parse(readFileSync(USERS_FILE, 'utf8'));
  return {
    servers: context.url,
    user: component,
    pass: passwords[component],
    inboxPrefix: natsInboxPrefix(component),
    ...(context.ca ? { tls: { caFile: context.ca, certFile: context.cert, keyFile: context.key } } : {}),
  };
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
