import { describe, expect, it } from '@jest/globals';
import { NotFoundException } from '@nestjs/common';
import { problems } from './problem-details.js';
import { toProblem } from './to-problem.js';

describe('toProblem', () => {
  it('keeps a ProblemException as it is, with its headers', () => {
    const { problem, headers } = toProblem(problems.brokerUnavailable('down', 3, { id: 'x' }), '/v1/x');
    expect(problem).toMatchObject({ status: 503, detail: 'down', id: 'x', instance: '/v1/x' });
    expect(headers).toEqual({ 'retry-after': '3' });
  });

  it('maps Nest HTTP exceptions to about:blank problems', () => {
    const { problem } = toProblem(new NotFoundException('Cannot POST /nope'));
    expect(problem).toMatchObject({ type: 'about:blank', title: 'Not found', status: 404, detail: 'Cannot POST /nope' });
  });

  it('keeps the status of client errors raised inside Fastify', () => {
    const tooLarge = Object.assign(new Error('Request body is too large'), { statusCode: 413 });
    expect(toProblem(tooLarge).problem).toMatchObject({ status: 413, title: 'Payload too large', type: 'about:blank' });
  });

  it('hides internals of unexpected errors', () => {
    const { problem } = toProblem(new Error('secret stack detail'));
    expect(problem).toEqual({ type: 'about:blank', title: 'Internal server error', status: 500, instance: undefined });
  });
});
