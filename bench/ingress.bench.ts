import autocannon from 'autocannon';
import { AppProcess, authHeaders, DIST, freePort, NatsServer, provision, rssMiB, startProducer } from '#test-support';
import { join } from 'node:path';
import { emitResult, environment, median, table } from './bench-report.js';

/**
 * Ingress throughput, latency and memory: the nestjet producer (API key,
 * validation, routing, msgID, retry policy, problem+json) against a bare
 * Fastify + js.publish route and against a hand-written NestJS controller,
 * same nats-server, same run, alternating rounds.
 */
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);

const body = JSON.stringify({ orderId: 'bench-1', customerId: 'c-1', amount: 42.5, currency: 'EUR', region: 'eu' });

interface Target {
  label: string;
  url: string;
  pid: number;
}

async function load(target: Target) {
  const r = await autocannon({
    url: `${target.url}/v1/topics/orders.created/messages`,
    method: 'POST',
    // The baselines ignore the key; nestjet verifies it on every request, as deployed.
    headers: { 'content-type': 'application/json', ...authHeaders() },
    body,
    connections: CONNECTIONS,
    duration: DURATION_S,
  });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${target.label}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  // Read while the load's garbage is still live: what the process holds at the end of its load.
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, rss: await rssMiB(target.pid) };
}

async function startServer(name: string, file: string, env: Record<string, string>): Promise<{ app: AppProcess; target: Target }> {
  const port = await freePort();
  const app = await AppProcess.start(name, join(DIST, 'bench', file), { ...env, PORT: String(port) }, `${name}.ready`);
  return { app, target: { label: name, url: `http://127.0.0.1:${port}`, pid: app.pid } };
}

const nats = await NatsServer.start();
try {
  await provision(nats);
  // The rate limit is off the table here: it is a policy, not a cost being measured.
  const producer = await startProducer(nats, { RATE_LIMIT_MAX: '1000000000', PUBLISH_BYTES_MAX: '100000000000' });
  // The same producer without authentication: what the API-key check and the rate limiter cost.
  const open = await startProducer(nats, { RATE_LIMIT_MAX: '1000000000', PUBLISH_BYTES_MAX: '100000000000', AUTH_MODE: 'none', API_KEYS_FILE: '' });
  const raw = await startServer('raw', 'raw-ingress.server.js', nats.env('producer'));
  const plain = await startServer('plain-nest', 'plain-nest-ingress.server.js', nats.env('producer'));
  const targets: Target[] = [
    raw.target,
    { label: 'nestjet producer (API key, rate limit)', url: producer.url, pid: producer.app.pid },
    { label: 'nestjet producer (AUTH_MODE=none)', url: open.url, pid: open.app.pid },
    plain.target,
  ];
  type Run = Awaited<ReturnType<typeof load>>;
  const runs = new Map<Target, Run[]>(targets.map((t) => [t, []]));
  for (const t of targets) await load(t); // warm-up (JIT, connections)
  for (let round = 0; round < ROUNDS; round++) {
    for (const t of targets) runs.get(t)!.push(await load(t));
  }
  await Promise.all([producer.app.stop(), open.app.stop(), raw.app.stop(), plain.app.stop()]);

  const summary = (t: Target) => {
    const rs = runs.get(t)!;
    return { rps: median(rs.map((r) => r.rps)), p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)), rss: rs.at(-1)!.rss };
  };
  const [b, n, o, p] = targets.map(summary) as [Run, Run, Run, Run];
  const names = ['raw Fastify + js.publish', 'nestjet producer (API key, rate limit)', 'nestjet producer (AUTH_MODE=none)', 'plain NestJS controller + ValidationPipe + js.publish'];
  process.stdout.write(
    `\n### Ingress (${CONNECTIONS} connections, ${DURATION_S} s × ${ROUNDS} rounds after a warm-up, median)\n${environment()}\n\n` +
      table(
        ['target', 'req/s', 'p50 ms', 'p99 ms', 'RSS MiB at end of load'],
        [b, n, o, p].map((r, i) => [names[i]!, r.rps.toFixed(0), r.p50, r.p99, r.rss.toFixed(0)]),
      ) +
      `\n\nratio nestjet / raw: **${(n.rps / b.rps).toFixed(2)}×** (target ≥ 0.8×); without authentication ${(o.rps / b.rps).toFixed(2)}×; ` +
      `nestjet / plain NestJS ${(n.rps / p.rps).toFixed(2)}×; producer RSS ${n.rss.toFixed(0)} MiB (target ≤ 150)\n`,
  );
  emitResult({ name: 'ingress', compares: 'nestjet (API key) / raw Fastify req/s', ratio: n.rps / b.rps, target: 0.8, raw: b, nestjet: n, open: o, plainNest: p });
  emitResult({ name: 'rss-producer', compares: 'RSS of the nestjet producer at the end of the load, MiB', ratio: n.rss, target: 150, lowerIsBetter: true });
  emitResult({ name: 'ingress-open', compares: 'nestjet (AUTH_MODE=none) / raw req/s', ratio: o.rps / b.rps });
  emitResult({ name: 'ingress-plain-nest', compares: 'nestjet (API key) / plain NestJS req/s', ratio: n.rps / p.rps });
} finally {
  await nats.dispose();
}
