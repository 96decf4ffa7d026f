import type { FastifyRequest } from 'fastify';

/** The publish routes as Fastify matched them (MessagesController): the only ones that take MessagePack and CloudEvents bodies. */
const PUBLISH_ROUTES: ReadonlySet<string> = new Set(['/v1/topics/:topic/messages', '/v1/topics/:topic/messages/batch']);

/** The topic a request to a publish route names, or undefined for any other route. */
export function publishTopicOf(request: FastifyRequest): string | undefined {
  if (!PUBLISH_ROUTES.has(request.routeOptions.url ?? '')) return undefined;
  return (request.params as { topic?: string } | undefined)?.topic;
}
