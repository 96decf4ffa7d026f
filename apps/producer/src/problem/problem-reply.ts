import type { FastifyReply } from 'fastify';
import { PROBLEM_CONTENT_TYPE } from './problem-details.js';
import type { RenderedProblem } from './to-problem.js';

/** Writes a problem document; shared by the exception filter and the Fastify hooks that answer before Nest does. */
export function sendProblem(reply: FastifyReply, { problem, headers }: RenderedProblem): FastifyReply {
  return reply.status(problem.status).headers(headers).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}
