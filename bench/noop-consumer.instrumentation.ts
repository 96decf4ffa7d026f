import { startTracing } from '#telemetry';

startTracing('nestjet-bench-consumer');
