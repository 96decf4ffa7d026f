// `npm start`: the whole local system — nats-server with JetStream, topology, producer, one consumer per group, DLQ router.
// NATS_TLS=1 runs NATS with TLS and client certificates from a local CA (.data/tls).
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { build } from './lib/build.mjs';
import { ensureNodeModules } from './lib/deps.mjs';
import { ensureLocalApiKey, LOCAL_API_KEY_FILE } from './lib/local-api-key.mjs';
import { DLQ_CLI_ENV_FILE, JAEGER_PORTS, NATS_CONTEXT_FILE, PORTS, portFree, prepareLocalNats, waitForHttp, writeJaegerConfig } from './lib/local-stack.mjs';
import { log, ROOT, run, spawn } from './lib/run.mjs';
import { ensureScriptPackages } from './lib/debian-packages.mjs';
import { ensureTools } from './lib/tools.mjs';

const children = [];
let stopping = false;

function start(name, cmd, args, env = {}) {
  const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = `\x1b[35m${name.padEnd(15)}\x1b[0m|`;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${prefix} ${line}\n`));
  }
  child.on('exit', (code, signal) => {
    if (!stopping) {
      log(`${name} exited (${code ?? signal}); stopping everything`);
      void shutdown(1);
    }
  });
  children.push({ name, child });
  return child;
}

async function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  log('stopping (apps first, so they drain, then nats-server)');
  for (const { name, child } of [...children].reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    log(`stopping ${name}`);
    child.kill('SIGTERM');
    await new Promise((resolve) => {
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, 30_000);
      child.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  ensureNodeModules();
  const tools = ensureTools(['nats-server'], ['nats', 'jaeger']);
  build();

  for (const [what, port] of Object.entries(PORTS)) {
    if (!(await portFree(port))) throw new Error(`port ${port} (${what}) is in use; stop whatever holds it and retry`);
  }
  // One NATS user per component; each process gets only its own credentials.
  // NATS_TLS=1 makes its local CA and certificates with the openssl CLI.
  if (process.env.NATS_TLS === '1') ensureScriptPackages('start');
  const nats = await prepareLocalNats({ tls: process.env.NATS_TLS === '1' });
  start('nats', tools['nats-server'], ['-c', nats.conf]);
  await waitForHttp(`http://127.0.0.1:${PORTS.natsMonitor}/healthz?js-enabled-only=true`, 'nats-server');

  const env = { HOST: '127.0.0.1' };
  let jaeger = null;
  if (!tools.jaeger) {
    log('Jaeger is not available (see above); running without tracing');
  } else if (!(await Promise.all(Object.values(JAEGER_PORTS).map(portFree))).every(Boolean)) {
    log(`a Jaeger port (${Object.values(JAEGER_PORTS).join(', ')}) is in use; running without tracing`);
  } else {
    start('jaeger', tools.jaeger, ['--config', `file:${await writeJaegerConfig(process.env.JAEGER_UI_ASSETS)}`]);
    await waitForHttp(`http://127.0.0.1:${JAEGER_PORTS.health}/status`, 'jaeger');
    jaeger = `http://127.0.0.1:${JAEGER_PORTS.query}`;
    Object.assign(env, { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${JAEGER_PORTS.otlpHttp}`, OTEL_BSP_SCHEDULE_DELAY: '500' });
  }
  run(process.execPath, [join(ROOT, 'dist/apps/consumer/src/provision.js')], { env: { ...process.env, ...env, ...nats.env('provisioner') } });
  const apiKey = await ensureLocalApiKey();
  // The console's trace view reads Jaeger through the producer; a UI link only when a UI is served.
  const traces = jaeger ? { JAEGER_QUERY_URL: jaeger, ...(process.env.JAEGER_UI_ASSETS ? { JAEGER_UI_URL: jaeger } : {}) } : {};
  start('producer', process.execPath, [join(ROOT, 'dist/apps/producer/src/main.js')], { ...env, ...traces, ...nats.env('producer'), ...nats.dlqEnv(), PORT: String(PORTS.producer), API_KEYS_FILE: apiKey.keysFile });
  // One worker per consumer group, each as its group's NATS user (no dlq credential: it dead-letters only its own
  // durables), and the DLQ router alone as the dlq user, like the chart's deployments.
  const consumer = join(ROOT, 'dist/apps/consumer/src/main.js');
  const workers = nats.groups.map((user, i) => ({ name: user, port: PORTS.consumer + i }));
  for (const w of workers) {
    if (w.port >= PORTS.dlqRouter || !(await portFree(w.port))) throw new Error(`port ${w.port} (${w.name}) is in use or past the DLQ router's; stop whatever holds it and retry`);
  }
  for (const w of workers) start(w.name, process.execPath, [consumer], { ...env, ...nats.env(w.name), PORT: String(w.port) });
  start('dlq-router', process.execPath, [consumer], { ...env, ...nats.env('dlq'), CONSUMERS: 'none', PORT: String(PORTS.dlqRouter) });
  await waitForHttp(`http://127.0.0.1:${PORTS.producer}/readyz`, 'producer');
  for (const w of workers) await waitForHttp(`http://127.0.0.1:${w.port}/readyz`, w.name);
  await waitForHttp(`http://127.0.0.1:${PORTS.dlqRouter}/readyz`, 'dlq-router');

  const p = `http://127.0.0.1:${PORTS.producer}`;
  process.stdout.write(`
\x1b[32mnestjet is running\x1b[0m
  console        ${p}/console/   sign in with the API key below
  REST ingress   ${p}          (OpenAPI: ${p}/docs)
  API key        ${relative(ROOT, LOCAL_API_KEY_FILE)}${apiKey.created ? ' (new: every scope; keep it secret)' : ''}   send it as Authorization: Bearer <key>
  topics         ${p}/v1/topics
${workers.map((w) => `  ${w.name.padEnd(14)} http://127.0.0.1:${w.port}/readyz   (consumer group ${w.name.slice('consumer-'.length)}, its own NATS user)\n`).join('')}  dlq-router     http://127.0.0.1:${PORTS.dlqRouter}/readyz   (the dlq NATS user)
  NATS           ${nats.url}   monitoring http://127.0.0.1:${PORTS.natsMonitor}
                 one user per component and consumer group${nats.tls ? ', TLS with client certificates (CA in .data/tls)' : ''}; passwords in .data/nats-users.json
  data           .data/ (delete it for a clean start)
${jaeger ? `  Jaeger         ${jaeger}   traces: ${jaeger}/api/traces/<trace id>  (services: nestjet-producer, nestjet-consumer)
                 ${process.env.JAEGER_UI_ASSETS ? 'UI from JAEGER_UI_ASSETS' : 'no web UI in this Jaeger build; set JAEGER_UI_ASSETS to a jaeger-ui build (see README)'}
` : '  Jaeger         not running: tracing off\n'}  metrics        ${p}/metrics   ${workers.map((w) => `http://127.0.0.1:${w.port}/metrics`).join('   ')}

Try:
  curl -i ${p}/v1/topics/orders.created/messages -H 'content-type: application/json' \\
       -H "Authorization: Bearer $(cat ${relative(ROOT, LOCAL_API_KEY_FILE)})" \\
       -H 'Idempotency-Key: order-1001' \\
       -d '{"orderId":"1001","customerId":"c-7","amount":1250,"currency":"EUR","region":"eu"}'
  npm run demo        # a mixed load: valid, high-value, invalid, duplicate, poison → DLQ → replay
  npm run dlq -- list # dead letters (as the dlq NATS user, from ${relative(ROOT, DLQ_CLI_ENV_FILE)})
${tools.nats ? `  ${tools.nats} --context ${NATS_CONTEXT_FILE} stream ls   # nats CLI as the operator user\n` : ''}
Ctrl-C stops everything.
`);
} catch (err) {
  process.stderr.write(`\nnpm start failed: ${err.message}\n`);
  await shutdown(1);
}
