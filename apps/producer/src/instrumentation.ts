// First import of main.ts: tracing must start before Fastify and http are loaded.
import { startTracing } from '#telemetry';

startTracing('nestjet-producer');
