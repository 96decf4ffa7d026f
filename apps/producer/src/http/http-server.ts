import { createServer, type RequestListener, type Server } from 'node:http';
import type { FastifyServerOptions } from 'fastify';
import type { ProducerEnvironment } from '../config/producer.environment.js';
import { problems } from '../problem/problem-details.js';
import { sendProblem } from '../problem/problem-reply.js';

/**
 * Longest path parameter the router hands to a route (Fastify's default, 100,
 * is shorter than a schedule id may be): longer ones, and URLs with malformed
 * percent-encoding, are refused by the router itself, as a 400 problem.
 */
export const MAX_PARAM_LENGTH = 1_024;

/**
 * Fastify options with the Node server's timeouts set, so a client that
 * trickles headers or a body (slow-loris) is cut off with 408 instead of
 * holding a socket forever. Node checks these timeouts on an interval (30 s
 * by default); it is shortened so short timeouts take effect promptly.
 */
export function fastifyOptions(env: ProducerEnvironment): FastifyServerOptions {
  return {
    bodyLimit: env.BODY_LIMIT_BYTES,
    requestTimeout: env.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeout: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    trustProxy: trustProxy(env.TRUST_PROXY),
    maxParamLength: MAX_PARAM_LENGTH,
    // Errors the router raises before any hook or route runs: problem+json like every other answer.
    frameworkErrors: (error, request, reply) => {
      const detail = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? `a path segment is longer than ${MAX_PARAM_LENGTH} characters` : 'the URL is not validly percent-encoded';
      const refused = problems.badRequest(detail);
      sendProblem(reply, { problem: { ...refused.problem, instance: request.url }, headers: refused.responseHeaders });
    },
    serverFactory: (handler: RequestListener): Server =>
      createServer(
        {
          requestTimeout: env.HTTP_REQUEST_TIMEOUT_MS,
          headersTimeout: Math.min(env.HTTP_HEADERS_TIMEOUT_MS, env.HTTP_REQUEST_TIMEOUT_MS),
          keepAliveTimeout: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
          connectionsCheckingInterval: Math.max(100, Math.min(1_000, env.HTTP_HEADERS_TIMEOUT_MS / 2)),
        },
        handler,
      ),
  };
}

function trustProxy(setting: string | undefined): boolean | string[] {
  if (setting === undefined || setting === 'false') return false;
  if (setting === 'true') return true;
  return setting.split(',').map((s) => s.trim());
}
