// `npm run bad-input`: generated bad requests (the fuzz corpus of test/security) against a running
// stack with its API key; every answer must be a 4xx problem+json and nothing may be published.
import { join } from 'node:path';
import { localApiKey } from './lib/local-api-key.mjs';
import { ROOT } from './lib/run.mjs';

const base = process.env.PRODUCER_URL ?? 'http://127.0.0.1:3000';
const runs = Number(process.argv[2] ?? 2000);
const { default: fc } = await import('fast-check');
const { badRequests, sendBadRequest } = await import(join(ROOT, 'dist', 'test', 'support', 'bad-requests.js'));
const key = localApiKey();

const statuses = new Map();
const wrong = [];
for (const request of fc.sample(badRequests(), runs)) {
  const { status, type } = await sendBadRequest(base, request, key);
  statuses.set(status, (statuses.get(status) ?? 0) + 1);
  if (status < 400 || status >= 500 || !type?.startsWith('application/problem+json')) wrong.push({ status, type, request });
}
console.log(`${runs} bad requests to ${base}: ${[...statuses].sort().map(([s, n]) => `${s}×${n}`).join(', ')}`);
if (wrong.length > 0) {
  console.error(`${wrong.length} not answered with a 4xx problem+json, e.g.:\n${JSON.stringify(wrong.slice(0, 3), null, 2)}`);
  process.exit(1);
}
const ready = await fetch(`${base}/readyz`);
console.log(`readyz afterwards: ${ready.status}`);
process.exit(ready.ok ? 0 : 1);
