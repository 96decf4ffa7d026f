// Writes the chart's two files generated from the default topology (a test fails when either is stale):
// - helm/nestjet/files/nats-permissions.json: the NATS permissions of each component and consumer group
//   (`natsPermissions` in libs/jetstream/src/security), one user per key;
// - helm/nestjet/files/consumer-groups.json: each consumer group's consumers (`consumerGroupMembers`), from
//   which the chart renders one consumer Deployment per group, run as the group's user consumer-<group>.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from './lib/build.mjs';
import { ensureNodeModules } from './lib/deps.mjs';
import { log, ROOT } from './lib/run.mjs';

ensureNodeModules();
build();
const { buildTopology, consumerGroupMembers } = await import('#contracts');
const { JetStreamEnvironment, natsPermissions, validateEnvironment } = await import('#jetstream');
const files = join(ROOT, 'helm', 'nestjet', 'files');
const topology = validateEnvironment(JetStreamEnvironment, {}).topology(buildTopology);
for (const [name, content] of [
  ['nats-permissions.json', natsPermissions(topology)],
  ['consumer-groups.json', consumerGroupMembers(buildTopology())],
]) {
  writeFileSync(join(files, name), `${JSON.stringify(content, null, 2)}\n`);
  log(`wrote ${join(files, name)}`);
}
