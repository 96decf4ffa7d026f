import autocannon from 'autocannon';
import {
  AppProcess,
  authHeaders,
  DIST,
  freePort,
  NatsServer,
  provision,
  startProducer,
} from '#test-support';
import { join } from 'node:path';
import { environment, median, table } from './bench-report.js';

/**
 * Ingress throughput and latency: the nestjet producer (validation, routing,
 * msgID, retry policy, problem+json) against a bare Fastify + js.publish
 * route, same nats-server, same run, alternating rounds.
 */
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);

const body = JSON.stringify({ orderId: 'bench-1', customerId: 'c-1', amount: 42.5, currency: 'EUR', region: 'eu' });

async function load(url: string) {
  const r = await autocannon({
    url: `${url}/v1/topics/orders.created/messages`,
    method: 'POST',
    // The raw route ignores the key; nestjet verifies it on every request, as deployed.
    headers: { 'content-type': 'application/json', ...authHeaders() },
    body,
    connections: CONNECTIONS,
    duration: DURATION_S,
  });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99 };
}

const nats = await NatsServer.start();
try {
  await provision(nats);
  // The rate limit is off the table here: it is a policy, not a cost being measured.
  const producer = await startProducer(nats, { RATE_LIMIT_MAX: '1000000000' });
  // The same producer without authentication: what the API-key check and the rate limiter cost.
  const open = await startProducer(nats, { RATE_LIMIT_MAX: '1000000000', AUTH_MODE: 'none', API_KEYS_FILE: '' });
  const rawPort = await freePort();
  const raw = await AppProcess.start('raw', join(DIST, 'bench', 'raw-ingress.server.js'), { ...nats.env('producer'), PORT: String(rawPort) }, 'raw.ready');
  type Run = Awaited<ReturnType<typeof load>>;
  const results = { nestjet: [] as Run[], open: [] as Run[], raw: [] as Run[] };
  await load(producer.url); // warm-up (JIT, connections)
  await load(open.url);
  for (let round = 0; round < ROUNDS; round++) {
    results.raw.push(await load(`http://127.0.0.1:${rawPort}`));
    results.nestjet.push(await load(producer.url));
    results.open.push(await load(open.url));
  }
  await producer.app.stop();
  await open.app.stop();
  await raw.stop();

  const summary = (rs: typeof results.raw) => ({
    rps: median(rs.map((r) => r.rps)),
    p50: median(rs.map((r) => r.p50)),
    p99: median(rs.map((r) => r.p99)),
  });
  const n = summary(results.nestjet);
  const o = summary(results.open);
  const b = summary(results.raw);
  process.stdout.write(
    `\n### Ingress (${CONNECTIONS} connections, ${DURATION_S} s × ${ROUNDS} rounds, median)\n${environment()}\n\n` +
      table(
        ['target', 'req/s', 'p50 ms', 'p99 ms'],
        [
          ['raw Fastify + js.publish', b.rps.toFixed(0), b.p50, b.p99],
          ['nestjet producer (API key, rate limit)', n.rps.toFixed(0), n.p50, n.p99],
          ['nestjet producer (AUTH_MODE=none)', o.rps.toFixed(0), o.p50, o.p99],
        ],
      ) +
      `\n\nratio nestjet / raw: **${(n.rps / b.rps).toFixed(2)}×** (target ≥ 0.8×); without authentication ${(o.rps / b.rps).toFixed(2)}×\n`,
  );
} finally {
  await nats.dispose();
}
