import { validateEnvironment } from '#jetstream';
import { ConsumerEnvironment } from '../apps/consumer/src/config/consumer.environment.js';

/** noop-consumer.main.ts settings as env: the bench's cheap-handler tuning (BENCH_CONCURRENCY/BENCH_PREFETCH override it). */
export const BENCH_TUNING = {
  BENCH_CONCURRENCY: process.env.BENCH_CONCURRENCY ?? '64',
  BENCH_PREFETCH: process.env.BENCH_PREFETCH ?? '256',
  BENCH_MAX_KEEPALIVE_MS: '300000',
};

/** The consumer app's own defaults, read from its configuration class (never copied): what a deployment runs with. */
export function appDefaultTuning(): typeof BENCH_TUNING {
  const env = validateEnvironment(ConsumerEnvironment, { NATS_URL: 'nats://127.0.0.1:4222' });
  return {
    BENCH_CONCURRENCY: String(env.CONSUMER_CONCURRENCY),
    BENCH_PREFETCH: String(env.CONSUMER_PREFETCH),
    BENCH_MAX_KEEPALIVE_MS: String(env.CONSUMER_MAX_KEEPALIVE_MS),
  };
}
