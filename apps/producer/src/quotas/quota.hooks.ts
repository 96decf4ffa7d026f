import type { FastifyInstance } from 'fastify';
import { ANONYMOUS_ID, WARM_UP_ID } from '../auth/auth.constants.js';
import { sendProblem } from '../problem/problem-reply.js';
import { quotaProblem } from './quota.problem.js';
import type { QuotasService } from './quotas.service.js';

/**
 * The request quotas, after authentication (they key on its result): an
 * authenticated caller's `requests` (AUTH_MODE=none: per address), a public path's `public-requests` per client address. Probes are
 * exempt: a flood must not make the pod fail them (restarts would turn it into
 * an outage); so are the start-up warm-up's in-process requests.
 * Byte quotas are charged where the bytes are known (MessagesService).
 */
export function registerQuotas(fastify: FastifyInstance, quotas: () => QuotasService): void {
  fastify.addHook('onRequest', async (request, reply) => {
    if (request.url === '/healthz' || request.url === '/readyz') return;
    const principal = request.principal;
    if (principal?.id === WARM_UP_ID) return;
    // AUTH_MODE=none: everyone is `anonymous`, so each address gets the credential budget.
    const charged = !principal
      ? quotas().publicRequest(request.ip)
      : quotas().request(principal.id === ANONYMOUS_ID ? { ...principal, id: `ip:${request.ip}` } : principal);
    const over = await charged.then(() => undefined, quotaProblem);
    if (over) return sendProblem(reply, { problem: { ...over.problem, instance: request.url }, headers: over.responseHeaders });
  });
}
