// Writes helm/nestjet/files/nats-permissions.json: the NATS permissions of each component and consumer
// group for the default topology (`natsPermissions` in libs/jetstream/src/security), plus `consumer`,
// the user of the chart's consumer Deployment, which runs every group (`allGroupsPermissions`). The
// chart reads it; a test fails when it is stale.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from './lib/build.mjs';
import { ensureNodeModules } from './lib/deps.mjs';
import { log, ROOT } from './lib/run.mjs';

ensureNodeModules();
build();
const { buildTopology } = await import('#contracts');
const { ALL_GROUPS_USER, allGroupsPermissions, JetStreamEnvironment, natsPermissions, validateEnvironment } = await import('#jetstream');
const file = join(ROOT, 'helm', 'nestjet', 'files', 'nats-permissions.json');
const topology = validateEnvironment(JetStreamEnvironment, {}).topology(buildTopology);
const { producer, ...others } = natsPermissions(topology);
// The chart's users in the chart's order (producer, consumer, dlq, provisioner, operator), the group users between.
writeFileSync(file, `${JSON.stringify({ producer, [ALL_GROUPS_USER]: allGroupsPermissions(topology), ...others }, null, 2)}\n`);
log(`wrote ${file}`);
