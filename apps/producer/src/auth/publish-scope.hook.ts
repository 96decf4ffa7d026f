import type { FastifyInstance } from 'fastify';
import { publishTopicOf } from '../messages/publish-routes.js';
import { problems } from '../problem/problem-details.js';
import { grants, publishScope } from './scope.js';

/**
 * `publish:<topic>` checked before the body is read: ScopeGuard checks it too,
 * but only after Fastify has parsed the body, so any credential at all could
 * make the producer decode a body for a topic it may not publish to.
 */
export function registerPublishScopeCheck(fastify: FastifyInstance): void {
  // A callback hook, not an async one: it runs on every request, and has nothing to wait for.
  fastify.addHook('preParsing', (request, _reply, payload, done) => {
    const topic = publishTopicOf(request);
    if (topic === undefined || !request.principal) return done(null, payload);
    const required = publishScope(topic);
    if (!grants(request.principal.scopes, required)) return done(problems.forbidden(required));
    done(null, payload);
  });
}
