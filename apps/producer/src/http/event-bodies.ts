import { PAYLOAD_CODECS } from '#jetstream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { publishTopicOf } from '../messages/publish-routes.js';
import { MEDIA_TYPES } from '../messages/publish-media-types.js';
import { problems } from '../problem/problem-details.js';
import { boundedJsonParser } from './json-body.js';

/**
 * Parsers for the publish routes' other media types, which no other route
 * takes: a body of these types sent anywhere else is a 415 before a byte of it
 * is decoded. Structured CloudEvents (single and batch) are JSON and parsed
 * like it; MessagePack bodies are decoded by the bounded codec and must hold
 * only what JSON can (a payload has a JSON Schema, and a topic may store it as
 * JSON; the codec refuses the rest).
 */
export function acceptEventBodies(fastify: FastifyInstance): void {
  const parseJson = boundedJsonParser(fastify);
  const onPublishRoutes = (request: FastifyRequest) =>
    publishTopicOf(request) === undefined ? problems.unsupportedMediaType(request.headers['content-type'], [MEDIA_TYPES.json]) : null;
  fastify.addContentTypeParser([MEDIA_TYPES.cloudEvent, MEDIA_TYPES.cloudEventBatch], { parseAs: 'string' }, (request, body, done) => {
    const refused = onPublishRoutes(request);
    if (refused) return done(refused, undefined);
    parseJson(request, body as string, done);
  });
  fastify.addContentTypeParser(MEDIA_TYPES.msgpack, { parseAs: 'buffer' }, (request, body, done) => {
    const refused = onPublishRoutes(request);
    if (refused) return done(refused, undefined);
    let value: unknown;
    try {
      value = PAYLOAD_CODECS.msgpack.decode(body as Buffer);
    } catch (err) {
      return done(problems.badRequest(`the body is not valid MessagePack: ${(err as Error).message}`), undefined);
    }
    done(null, value);
  });
}
