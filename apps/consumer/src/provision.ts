import 'reflect-metadata';
import { buildTopology } from '#contracts';
import {
  connectNats,
  exitOnConfigurationError,
  formatProvisionResults,
  JetStreamAdmin,
  JetStreamEnvironment,
  validateEnvironment,
} from '#jetstream';
import { jetstreamManager } from '@nats-io/jetstream';

/**
 * `npm run provision [-- --strict]`: creates or updates every declared stream
 * and consumer. Exit 0 when the server matches the declarations, 2 with
 * --strict when drift remains that cannot be updated in place, 1 on error.
 */
async function main(): Promise<number> {
  const strict = process.argv.includes('--strict');
  const unknown = process.argv.slice(2).filter((a) => a !== '--strict');
  if (unknown.length > 0) {
    process.stderr.write(`provision: unknown argument(s) ${unknown.join(' ')}\nusage: provision [--strict]\n`);
    return 64;
  }
  const env = exitOnConfigurationError(() => validateEnvironment(JetStreamEnvironment));
  const nc = await connectNats(env.connectionOptions('provisioner'), 'nestjet-provision');
  try {
    const jsm = await jetstreamManager(nc, { timeout: 10_000 });
    const results = await new JetStreamAdmin(nc, jsm, env.topology(buildTopology)).provision();
    process.stdout.write(`${formatProvisionResults(results)}\n`);
    const drift = results.some((r) => r.drift.length > 0);
    if (drift) process.stderr.write('provision: drift remains that cannot be updated in place (see DRIFT lines)\n');
    return drift && strict ? 2 : 0;
  } finally {
    await nc.drain();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`provision failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
