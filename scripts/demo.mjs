// `npm run demo`: a mixed load against the running local system (`npm start`), then what happened.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { localApiKey } from './lib/local-api-key.mjs';
import { localNatsOptions, NATS_CONTEXT_FILE } from './lib/local-stack.mjs';
import { TOOLS_BIN } from './lib/tools.mjs';

const base = process.env.PRODUCER_URL ?? 'http://127.0.0.1:3000';
const regions = ['eu', 'us', 'apac'];
const run = Date.now().toString(36);
const auth = { authorization: `Bearer ${localApiKey()}` };

const post = async (topic, body, headers = {}) => {
  const r = await fetch(`${base}/v1/topics/${topic}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth, ...headers },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
};
const order = (n, amount) => ({
  orderId: `demo-${run}-${n}`,
  customerId: `c-${n % 7}`,
  amount,
  currency: 'EUR',
  region: regions[n % 3],
});

async function topics() {
  const r = await fetch(`${base}/v1/topics`, { headers: auth });
  if (!r.ok) throw new Error(`GET /v1/topics answered ${r.status}`);
  return r.json();
}

try {
  await topics();
} catch (err) {
  process.stderr.write(`demo: the producer at ${base} is not reachable (${err.message}); run \`npm start\` first\n`);
  process.exit(1);
}

const tally = {};
const count = (label, status) => {
  tally[label] ??= {};
  tally[label][status] = (tally[label][status] ?? 0) + 1;
};

for (let n = 0; n < 20; n++) count('valid order', (await post('orders.created', order(n, 20 + n))).status);
// The first high-value order carries our own trace id, so we can look it up in Jaeger afterwards.
const { randomBytes } = await import('node:crypto');
const traceId = randomBytes(16).toString('hex');
for (let n = 20; n < 25; n++) {
  const headers = n === 20 ? { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } : {};
  count('high-value order (→ fraud-review)', (await post('orders.created', order(n, 1500 + n), headers)).status);
}
const key = `demo-${run}-dup`;
for (let i = 0; i < 3; i++) {
  const r = await post('orders.created', order(99, 75), { 'Idempotency-Key': key });
  count(`same Idempotency-Key (${r.body.duplicate ? 'duplicate' : 'stored'})`, r.status);
}
const invalid = await post('orders.created', { orderId: '', amount: 'many', region: 'mars' });
count('invalid payload', invalid.status);
count('unknown topic', (await post('orders.shipped', order(1, 1))).status);

console.log('\nRequests sent');
for (const [label, statuses] of Object.entries(tally)) {
  console.log(`  ${label.padEnd(44)} ${Object.entries(statuses).map(([s, c]) => `${c}× ${s}`).join(', ')}`);
}
console.log(`\nExample 400 (problem+json): ${JSON.stringify(invalid.body).slice(0, 300)}…`);

console.log('\nWaiting for the consumers to drain…');
for (let i = 0; i < 30; i++) {
  const t = await topics();
  const busy = t.flatMap((x) => x.consumers).some((c) => c.pending + c.ackPending > 0);
  if (!busy) break;
  await sleep(500);
}
const seen = new Set();
for (const t of await topics()) {
  for (const c of t.consumers) {
    if (seen.has(c.name)) continue;
    seen.add(c.name);
    console.log(`  ${c.name.padEnd(14)} filter ${c.filterSubjects.join(',').padEnd(24)} pending ${c.pending}, unacked ${c.ackPending}, redelivered ${c.redelivered}`);
  }
}

// Poison: a payload that skipped ingress validation (say, an older producer publishing straight to NATS
// with the producer's NATS user).
console.log('\nPoison messages: 2 invalid orders published straight to JetStream, bypassing the ingress');
const { connect } = await import('@nats-io/transport-node');
const { jetstream } = await import('@nats-io/jetstream');
const nc = await connect(await localNatsOptions('producer'));
const js = jetstream(nc);
const poisonIds = [];
for (let i = 0; i < 2; i++) {
  const ack = await js.publish('orders.created.eu.std', JSON.stringify({ orderId: `demo-${run}-poison-${i}`, amount: 'lots' }));
  poisonIds.push(ack.seq);
}
await nc.close();
const dlq = async (query = '') => (await fetch(`${base}/v1/dlq?limit=500${query}`, { headers: auth })).json();
let records = [];
for (let i = 0; i < 30 && records.length < 4; i++) {
  records = (await dlq()).items.filter((r) => r.stream === 'ORDERS' && poisonIds.includes(r.streamSequence));
  await sleep(250);
}
console.log(`  ${records.length} DLQ records (one per consumer that saw them):`);
for (const r of records) console.log(`  #${r.id} ${r.consumer.padEnd(14)} ${r.kind} after ${r.deliveryCount} delivery: ${r.reason.slice(0, 110)}`);
const fix = records.find((r) => r.consumer === 'fulfillment');
if (fix) {
  const payload = { orderId: fix.payload.orderId, customerId: 'c-fixed', amount: 10, currency: 'EUR', region: 'eu' };
  const r = await fetch(`${base}/v1/dlq/${fix.id}/replay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify({ payload }),
  });
  const body = await r.json();
  console.log(`\nReplayed #${fix.id} with a corrected payload → ${r.status} ${JSON.stringify(body)}`);
  console.log('  only fulfillment processes the replay (the record names the consumer that failed it)');
}
// The raw view from the nats CLI, as the operator user of the context npm start wrote.
const natsCli = join(TOOLS_BIN, 'nats');
if (existsSync(natsCli)) {
  console.log(`\nThe same consumers seen by the nats CLI (${natsCli} --context ${NATS_CONTEXT_FILE} consumer report ORDERS):`);
  const report = spawnSync(natsCli, ['--context', NATS_CONTEXT_FILE, 'consumer', 'report', 'ORDERS'], { encoding: 'utf8' });
  console.log((report.stdout || report.stderr).trimEnd());
}
console.log(`\nInspect more: curl -H "Authorization: Bearer $(cat .data/local-api-key)" ${base}/v1/dlq   or   ${natsCli} --context ${NATS_CONTEXT_FILE} stream view DLQ`);

const jaeger = process.env.JAEGER_URL ?? 'http://127.0.0.1:16686';
await sleep(1500); // batch export delay
try {
  const t = (await (await fetch(`${jaeger}/api/traces/${traceId}`)).json()).data?.[0];
  if (!t) throw new Error('trace not found yet');
  console.log(`\nOne order followed end to end in Jaeger: ${jaeger}/api/traces/${traceId}`);
  const byId = new Map(t.spans.map((sp) => [sp.spanID, sp]));
  const depth = (sp) => (sp.references[0] && byId.has(sp.references[0].spanID) ? 1 + depth(byId.get(sp.references[0].spanID)) : 0);
  for (const sp of [...t.spans].sort((a, b) => a.startTime - b.startTime)) {
    const group = sp.tags.find((x) => x.key === 'messaging.consumer.group.name')?.value;
    console.log(`  ${'  '.repeat(depth(sp))}${t.processes[sp.processID].serviceName}: ${sp.operationName}${group ? ` [${group}]` : ''} ${(sp.duration / 1000).toFixed(1)} ms`);
  }
} catch (err) {
  console.log(`\n(Jaeger not reachable at ${jaeger}: ${err.message}; tracing is off without it)`);
}
console.log('The consumer log (npm start window) shows one message.processed line per delivery.');
