import { endServerSpan, startServerSpan, tracingActive, type ServerSpan } from '#telemetry';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ANONYMOUS_ID } from '../auth/auth.constants.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's SERVER span, when tracing is on: the parent of what the request publishes. */
    serverSpan?: ServerSpan;
  }
}

/** Probes and scrapes would drown the traces that matter. */
const UNTRACED = /^\/(healthz|readyz|metrics)\b/;

/**
 * One SERVER span per request, from the request's arrival to the response.
 * Registered after authentication has found the caller, because the caller
 * decides the span's parent: a client's `traceparent` is continued only for
 * an authenticated caller; anyone else's request starts a new trace (else an
 * anonymous request could add spans to any trace the console shows). The
 * span starts back at arrival so authentication is inside it, and a request
 * refused before this hook ran (401) gets its span at the response.
 * Registered only when tracing is configured: with it off the ingress
 * carries no tracing work at all.
 */
export function registerRequestTracing(fastify: FastifyInstance): void {
  if (!tracingActive()) return;
  fastify.decorateRequest('serverSpan', undefined);
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!UNTRACED.test(request.url)) request.serverSpan = startSpan(request, reply);
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const span = request.serverSpan ?? (UNTRACED.test(request.url) ? undefined : startSpan(request, reply));
    if (span) endServerSpan(span, reply.statusCode);
    done();
  });
}

function startSpan(request: FastifyRequest, reply: FastifyReply): ServerSpan {
  const q = request.url.indexOf('?');
  return startServerSpan({
    method: request.method,
    route: request.routeOptions.url,
    path: q === -1 ? request.url : request.url.slice(0, q),
    headers: request.headers,
    trustedCaller: request.principal !== undefined && request.principal.id !== ANONYMOUS_ID,
    // elapsedTime counts from the request's arrival, before the first hook.
    startTime: performance.timeOrigin + performance.now() - reply.elapsedTime,
  });
}
