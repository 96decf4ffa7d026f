import { endServerSpan, startServerSpan, tracingActive, type ServerSpan } from '#telemetry';
import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's SERVER span, when tracing is on: the parent of what the request publishes. */
    serverSpan?: ServerSpan;
  }
}

/** Probes and scrapes would drown the traces that matter. */
const UNTRACED = /^\/(healthz|readyz|metrics)\b/;

/**
 * One SERVER span per request, from the first hook (so authentication and the
 * rate limiter are inside it) to the response. Registered only when tracing is
 * configured: with it off the ingress carries no tracing work at all.
 */
export function registerRequestTracing(fastify: FastifyInstance): void {
  if (!tracingActive()) return;
  fastify.decorateRequest('serverSpan', undefined);
  fastify.addHook('onRequest', (request, _reply, done) => {
    if (!UNTRACED.test(request.url)) {
      const q = request.url.indexOf('?');
      request.serverSpan = startServerSpan({
        method: request.method,
        route: request.routeOptions.url,
        path: q === -1 ? request.url : request.url.slice(0, q),
        headers: request.headers,
      });
    }
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    if (request.serverSpan) endServerSpan(request.serverSpan, reply.statusCode);
    done();
  });
}
