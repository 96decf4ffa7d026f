import rateLimit from '@fastify/rate-limit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import type { ProducerEnvironment } from '../config/producer.environment.js';
import { ANONYMOUS_ID } from '../auth/auth.constants.js';
import { problems } from '../problem/problem-details.js';

/**
 * Per-credential limits (per client address for the public paths, which need
 * no credential), in memory per pod: with N pods the effective limit is N
 * times the setting. Requests refused for their credential never get here
 * (see auth.hooks.ts).
 */
export async function registerRateLimit(app: NestFastifyApplication, env: ProducerEnvironment): Promise<void> {
  const identified = (r: FastifyRequest) => r.principal !== undefined && r.principal.id !== ANONYMOUS_ID;
  await app.register(rateLimit, {
    global: true,
    timeWindow: env.RATE_LIMIT_WINDOW_MS,
    // A flood must not make the pod fail its probes (restarts would turn it into an outage).
    allowList: (r) => r.url === '/healthz' || r.url === '/readyz',
    keyGenerator: (r) => (identified(r) ? r.principal!.id : `ip:${r.ip}`),
    max: (r) => (identified(r) || r.principal?.id === ANONYMOUS_ID ? env.RATE_LIMIT_MAX : env.RATE_LIMIT_ANONYMOUS_MAX),
    addHeadersOnExceeding: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false },
    errorResponseBuilder: (_request, context) => problems.tooManyRequests(Math.max(1, Math.ceil(context.ttl / 1000))),
  });
}
