import 'reflect-metadata';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildTopology } from '#contracts';
import { connectNats, DLQ_ROUTER_DURABLE, exitOnConfigurationError, JetStreamAdmin, validateEnvironment } from '#jetstream';
import { jetstreamManager } from '@nats-io/jetstream';
import { ConsumerEnvironment } from './config/consumer.environment.js';

const POLL_MS = 2000;
const REPORT_EVERY_MS = 10_000;

/**
 * The consumer pods' init container: waits, with the pod's own NATS user and
 * environment, until every declared stream and every durable this pod binds
 * (the DLQ router's too, when it runs the router) exists. With NATS in the same
 * Helm release the provision Job runs beside the pods rather than before them,
 * and a worker started early would crash-loop into Kubernetes' back-off instead
 * of starting the moment the topology is there. Exits 0 once it is; it never
 * creates anything (only the provisioner may).
 */
async function main(): Promise<void> {
  const env = exitOnConfigurationError(() => validateEnvironment(ConsumerEnvironment));
  const topology = env.topology(buildTopology);
  const durables = exitOnConfigurationError(() => [...env.boundConsumers(topology), ...(env.routerEnabled ? [DLQ_ROUTER_DURABLE] : [])]);
  const nc = await connectNats(env.connectionOptions('consumer'), 'nestjet-wait-for-topology');
  try {
    const admin = new JetStreamAdmin(nc, await jetstreamManager(nc, { timeout: 10_000, checkAPI: false }), topology);
    const started = Date.now();
    let reported = 0;
    for (;;) {
      const report = await admin.readiness(durables);
      const missing = [...report.missingStreams.map((s) => `stream ${s}`), ...report.missingConsumers.map((c) => `consumer ${c}`)];
      if (report.connected && missing.length === 0) break;
      if (Date.now() - reported >= REPORT_EVERY_MS) {
        process.stdout.write(`${JSON.stringify({ event: 'topology.waiting', missing, connected: report.connected, waitedMs: Date.now() - started })}\n`);
        reported = Date.now();
      }
      await sleep(POLL_MS);
    }
    process.stdout.write(`${JSON.stringify({ event: 'topology.ready', durables, waitedMs: Date.now() - started })}\n`);
  } finally {
    await nc.drain();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`wait-for-topology failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
