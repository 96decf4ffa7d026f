import { collectDefaultMetrics, Registry } from 'prom-client';

let registry: Registry | undefined;

/**
 * Node's process metrics (nodejs_*, process_*), collected once per process and
 * shared by every NestjetMetrics registry. They describe the process, not an
 * app; and each collectDefaultMetrics call starts a GC observer and an
 * event-loop delay monitor that prom-client never stops, so a call per
 * registry would leave two more behind with every app a process creates (jest
 * runs several). A second call on the same registry throws (names taken).
 */
export function processRegistry(): Registry {
  if (!registry) {
    registry = new Registry();
    collectDefaultMetrics({ register: registry });
  }
  return registry;
}
