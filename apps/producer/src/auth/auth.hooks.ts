import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ProducerEnvironment } from '../config/producer.environment.js';
import { problems } from '../problem/problem-details.js';
import { sendProblem } from '../problem/problem-reply.js';
import { quotaProblem } from '../quotas/quota.problem.js';
import type { QuotasService } from '../quotas/quotas.service.js';
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
 * `onRequest` finds the caller (the quotas, next, key on it) and
 * answers 401 to a request for a non-public path without a valid credential.
 * Scopes are checked later, per route, by ScopeGuard.
 */
export function registerAuthentication(fastify: FastifyInstance, authenticator: Authenticator, env: ProducerEnvironment, quotas: () => QuotasService): void {
  fastify.decorateRequest('principal', undefined);
  fastify.decorateRequest('authFailure', undefined);
  const refuse = async (request: FastifyRequest, reply: FastifyReply) => {
    // Past its address's budget a refusal is a 429 (quota auth-failures): the client is told to back off.
    // The credential is still checked first, so a valid one from the same address is never refused
    // for someone else's failures (docs/security.md, Quotas).
    const over = await quotas()
      .authFailure(request.ip)
      .then(() => undefined, quotaProblem);
    const detail = request.authFailure ?? 'send an API key (Authorization: Bearer <key> or X-API-Key: <key>) or a JWT bearer token';
    const refused = over ?? problems.unauthorized(detail);
    return sendProblem(reply, { problem: { ...refused.problem, instance: request.url }, headers: refused.responseHeaders });
  };
  // The credential is checked before any quota: the request quotas key on the caller, and a refused
  // credential counts against its address's auth-failures budget instead.
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
