import type { FastifyInstance, FastifyRequest, HTTPMethods } from 'fastify';
import { problems } from '../problem/problem-details.js';
import { sendProblem } from '../problem/problem-reply.js';

interface KnownRoute {
  pattern: RegExp;
  methods: Set<string>;
}

/** A Fastify route path as a RegExp over the raw request path: `:param` is one segment, `*` the rest. */
export function routePattern(url: string): RegExp {
  const source = url
    .split(/(:[A-Za-z0-9_]+|\*)/)
    .map((part) => (part === '*' ? '.*' : part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`);
}

/** The methods some route answers for `path` (GET implies HEAD, as Fastify exposes it), sorted; empty when no route has that path. */
export function allowedMethods(routes: Iterable<KnownRoute>, path: string): string[] {
  const allowed = new Set<string>();
  for (const route of routes) if (route.pattern.test(path)) for (const m of route.methods) allowed.add(m);
  if (allowed.has('GET')) allowed.add('HEAD');
  return [...allowed].sort();
}

/**
 * 405 with `Allow` instead of 404 when the path exists but not for the method
 * (RFC 9110 §15.5.6), for every route however it was registered (Nest
 * controllers, the OpenAPI UI, the console's files). Fastify routes on path and
 * method together, so an unsupported method reaches its not-found handler; this
 * hook, registered before any route, learns the routes as they are added and
 * turns those requests into 405. It runs after authentication (preParsing, like
 * the 401), so a caller without a credential learns nothing about which paths
 * exist, and before any body is read.
 */
export function registerMethodNotAllowed(fastify: FastifyInstance): void {
  const routes = new Map<string, KnownRoute>();
  fastify.addHook('onRoute', (route) => {
    const methods = ([] as HTTPMethods[]).concat(route.method).map((m) => m.toUpperCase());
    const known = routes.get(route.url) ?? { pattern: routePattern(route.url), methods: new Set<string>() };
    for (const m of methods) known.methods.add(m);
    routes.set(route.url, known);
  });
  fastify.addHook('preParsing', async (request: FastifyRequest, reply) => {
    if (!request.is404) return;
    const path = request.url.split('?', 1)[0]!;
    const allowed = allowedMethods(routes.values(), path);
    if (allowed.length === 0) return;
    const refused = problems.methodNotAllowed(request.method, allowed);
    return sendProblem(reply, { problem: { ...refused.problem, instance: request.url }, headers: refused.responseHeaders });
  });
}
