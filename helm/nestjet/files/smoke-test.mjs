// `helm test` smoke check, run by node from the nestjet image (mounted from a
// ConfigMap under /app so the image's node_modules resolve). Publishes one order
// through the producer's HTTP API (with the API key in SMOKE_API_KEY) and waits
// until every durable in CONSUMERS has acknowledged it, reading consumer state as
// the NATS user the chart gives it. Exit 0 on success, 1 with a reason otherwise.
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, credsAuthenticator } from '@nats-io/transport-node';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const env = process.env;
const base = (env.SMOKE_URL ?? '').replace(/\/$/, '');
const topic = env.SMOKE_TOPIC ?? 'orders.created';
const list = (v) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const ordered = new Set(list(env.ORDERED_CONSUMERS));
const partitions = Number(env.ORDERING_PARTITIONS ?? 0);
// An ordered consumer is a durable per partition; the one the order's partition maps to must ack it.
const durables = list(env.CONSUMERS).flatMap((c) => (ordered.has(c) ? Array.from({ length: partitions }, (_, p) => `${c}-p${p}`) : [c]));
const deadline = Date.now() + Number(env.SMOKE_TIMEOUT_SECONDS ?? 90) * 1000;
const log = (event, fields = {}) => process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);

/** The producer refused the credential: retrying will not help. */
class CredentialRefused extends Error {}

async function publish() {
  const key = `helm-test-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  // High value, so the order is routed to every durable, fraud-review included.
  const body = { orderId: key, customerId: 'helm-test', amount: 5000, currency: 'EUR', region: 'eu' };
  let last = 'no attempt';
  // The producer may still be rolling out: retry until the deadline, with the
  // same Idempotency-Key so a retry cannot store the order twice.
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`${base}/v1/topics/${topic}/messages`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': key,
          ...(env.SMOKE_API_KEY ? { authorization: `Bearer ${env.SMOKE_API_KEY}` } : {}),
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await r.text();
      if (r.status === 202) return JSON.parse(text);
      // A refused credential will not get better by retrying.
      if (r.status === 401 || r.status === 403) throw new CredentialRefused(`HTTP ${r.status} ${text.slice(0, 200)}`);
      last = `HTTP ${r.status} ${text.slice(0, 200)}`;
    } catch (err) {
      if (err instanceof CredentialRefused) throw err;
      last = String(err);
    }
    await sleep(1000);
  }
  throw new Error(`publish through ${base} failed: ${last}`);
}

/** NATS subject wildcard match: `*` one token, `>` the rest. */
function subjectMatches(filter, subject) {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i;
    if (i >= s.length || (f[i] !== '*' && f[i] !== s[i])) return false;
  }
  return f.length === s.length;
}

async function main() {
  if (!base) throw new Error('SMOKE_URL is not set');
  if (durables.length === 0) throw new Error('CONSUMERS is not set');
  const stored = await publish();
  log('smoke.published', stored);
  const nc = await connect({
    servers: (env.NATS_URL ?? '').split(','),
    name: 'nestjet-helm-test',
    authenticator: env.NATS_CREDS_FILE ? credsAuthenticator(readFileSync(env.NATS_CREDS_FILE)) : undefined,
    user: env.NATS_USER,
    pass: env.NATS_PASSWORD,
    token: env.NATS_TOKEN,
    // As the apps read them: the CA, and a client certificate where the server asks for one.
    tls: env.NATS_TLS_CA || env.NATS_TLS_CERT ? { caFile: env.NATS_TLS_CA, certFile: env.NATS_TLS_CERT, keyFile: env.NATS_TLS_KEY } : undefined,
  });
  let subject;
  try {
    const jsm = await jetstreamManager(nc);
    ({ subject } = await jsm.streams.getMessage(stored.stream, { seq: stored.seq }));
    const waiting = new Set();
    for (const durable of durables) {
      const { config } = await jsm.consumers.info(stored.stream, durable);
      const filters = config.filter_subjects ?? (config.filter_subject ? [config.filter_subject] : ['>']);
      // A durable whose filter does not take this subject never sees the message.
      if (filters.some((f) => subjectMatches(f, subject))) waiting.add(durable);
      else log('smoke.not-routed', { durable, subject, filters });
    }
    if (waiting.size === 0) throw new Error(`no durable in CONSUMERS takes ${subject}`);
    while (waiting.size > 0) {
      if (Date.now() > deadline) throw new Error(`not acknowledged by ${[...waiting].join(', ')} in time (KEDA scaled to zero? consumers not ready?)`);
      for (const durable of waiting) {
        const info = await jsm.consumers.info(stored.stream, durable);
        // The ack floor passes our sequence only once this message (and all before it) is acked.
        if (info.ack_floor.stream_seq >= stored.seq) {
          waiting.delete(durable);
          log('smoke.processed', { durable, seq: stored.seq });
        }
      }
      if (waiting.size > 0) await sleep(500);
    }
  } finally {
    await nc.close();
  }
  log('smoke.ok', { seq: stored.seq, subject });
}

main().then(
  () => process.exit(0),
  (err) => {
    log('smoke.failed', { reason: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  },
);
