import { PAYLOAD_CODECS } from '#jetstream';
import type { FastifyInstance } from 'fastify';
import { problems } from '../problem/problem-details.js';

/**
 * Parsers for the publish routes' other media types: structured CloudEvents
 * (single and batch) are JSON and parsed like it; MessagePack bodies are
 * decoded and must hold only what JSON can (a payload has a JSON Schema, and
 * a topic may store it as JSON; the codec refuses the rest).
 */
export function acceptEventBodies(fastify: FastifyInstance): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.addContentTypeParser(['application/cloudevents+json', 'application/cloudevents-batch+json'], { parseAs: 'string' }, parseJson);
  fastify.addContentTypeParser('application/msgpack', { parseAs: 'buffer' }, (_request, body, done) => {
    let value: unknown;
    try {
      value = PAYLOAD_CODECS.msgpack.decode(body as Buffer);
    } catch (err) {
      return done(problems.badRequest(`the body is not valid MessagePack: ${(err as Error).message}`), undefined);
    }
    done(null, value);
  });
}
