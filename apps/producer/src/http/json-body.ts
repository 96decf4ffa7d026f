import { checkJsonBounds, PayloadBoundsError } from '#jetstream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { problems } from '../problem/problem-details.js';

type JsonParser = (request: FastifyRequest, body: string, done: (err: Error | null, body?: unknown) => void) => void;

/**
 * Fastify's JSON parser (prototype-poisoning checks included) behind the
 * payload bounds: a body nested too deep or holding too many values is a 400
 * before JSON.parse or any recursive check sees it.
 */
export function boundedJsonParser(fastify: FastifyInstance): JsonParser {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  return (request, body, done) => {
    try {
      checkJsonBounds(body);
    } catch (err) {
      if (err instanceof PayloadBoundsError) return done(problems.badRequest(`the body is refused: ${err.message}`), undefined);
      throw err;
    }
    parse(request, body, done);
  };
}

/**
 * JSON bodies, bounded, except that an empty body is no body: admin POST/DELETE
 * routes require `Content-Type: application/json` (so no CORS "simple request"
 * can reach them) and most of them take no body.
 */
export function acceptEmptyJsonBody(fastify: FastifyInstance): void {
  const parse = boundedJsonParser(fastify);
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') return done(null, undefined);
    parse(request, body as string, done);
  });
}
