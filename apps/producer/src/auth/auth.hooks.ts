import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ProducerEnvironment } from '../config/producer.environment.js';
import { problems } from '../problem/problem-details.js';
import { sendProblem } from '../problem/problem-reply.js';
import type { Authenticator } from './authenticator.js';
import { isConsolePath } from '../console/console.static.js';

/** Paths served without a credential: probes always, the console's files when it is on, metrics and docs when configured so. */
export function isPublicPath(path: string, env: Pick<ProducerEnvironment, 'METRICS_PUBLIC' | 'DOCS_PUBLIC' | 'CONSOLE_ENABLED'>): boolean {
  if (path === '/healthz' || path === '/readyz') return true;
  if (isConsolePath(path)) return env.CONSOLE_ENABLED;
  if (path === '/metrics') return env.METRICS_PUBLIC;
  if (path === '/docs' || path.startsWith('/docs/')) return env.DOCS_PUBLIC;
  return false;
}

/**
 * Authentication as Fastify hooks, so it covers every route (Nest controllers,
 * the OpenAPI UI, unknown paths) before any body is read:
 * `onRequest` finds the caller (the rate limiter, next, keys on it) and
 * answers 401 to a request for a non-public path without a valid credential.
 * Scopes are checked later, per route, by ScopeGuard.
 */
export function registerAuthentication(fastify: FastifyInstance, authenticator: Authenticator, env: ProducerEnvironment): void {
  fastify.decorateRequest('principal', undefined);
  fastify.decorateRequest('authFailure', undefined);
  const refuse = (request: FastifyRequest, reply: FastifyReply) => {
    const detail = request.authFailure ?? 'send an API key (Authorization: Bearer <key> or X-API-Key: <key>) or a JWT bearer token';
    const refused = problems.unauthorized(detail);
    return sendProblem(reply, { problem: { ...refused.problem, instance: request.url }, headers: refused.responseHeaders });
  };
  // 401 at once, before the rate limiter: the credential is checked before any limit could apply
  // (the limiter keys on the caller), so limiting a refused request would only turn its 401 into a
  // 429 — a correct guess is never limited — and refusing costs no more than limiting.
  fastify.addHook('onRequest', async (request: FastifyRequest, reply) => {
    const result = await authenticator.authenticate(request);
    if ('principal' in result) request.principal = result.principal;
    else if ('failure' in result) request.authFailure = result.failure;
    if (!request.principal && !isPublicPath(pathOf(request.url), env)) return refuse(request, reply);
  });
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
