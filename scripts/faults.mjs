// `npm run faults`: the fault suite (3-node cluster leader kills, a partition, a broker crash, a full disk) under REST load; a Markdown table, then `N passed, M failed`.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from './lib/build.mjs';
import { ensureScriptPackages } from './lib/debian-packages.mjs';
import { ensureNodeModules } from './lib/deps.mjs';
import { ROOT } from './lib/run.mjs';
import { ensureTools } from './lib/tools.mjs';

ensureNodeModules();
ensureScriptPackages('faults');
ensureTools(['nats-server']);
build();

const load = (file) => import(pathToFileURL(join(ROOT, 'dist', 'test', 'faults', file)).href);
const { FAULT_SCENARIOS } = await load('fault-scenarios.js');
const { runFault, faultReport } = await load('fault-run.js');

const picked = process.argv.slice(2);
const unknown = picked.filter((id) => !FAULT_SCENARIOS.some((s) => s.id === id));
if (unknown.length > 0) {
  process.stderr.write(`unknown scenario(s): ${unknown.join(', ')}; known: ${FAULT_SCENARIOS.map((s) => s.id).join(', ')}\n`);
  process.exit(64);
}
const results = [];
for (const scenario of FAULT_SCENARIOS.filter((s) => picked.length === 0 || picked.includes(s.id))) {
  process.stderr.write(`[faults] ${scenario.id}: ${scenario.title}\n`);
  const result = await runFault(scenario, { log: (line) => process.stderr.write(`[faults] ${line}\n`) });
  process.stderr.write(`[faults] ${scenario.id}: ${result.status}${result.reason ? ` (${result.reason})` : ''}\n`);
  results.push(result);
}
process.stdout.write(`${faultReport(results)}\n`);
process.exit(results.some((r) => r.status === 'failed') ? 1 : 0);
