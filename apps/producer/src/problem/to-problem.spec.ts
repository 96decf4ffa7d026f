import { describe, expect, it } from '@jest/globals';
import { UnknownTopicError, ValidationFailedError } from '#contracts';
import {
  AlreadyReplayedError,
  DeadLetterNotFoundError,
  PublishRejectedError,
  PublishTimeoutError,
  ReplayRefusedError,
  ReplayUnreachableError,
  StreamFullError,
} from '#jetstream';
import { JetStreamApiError } from '@nats-io/jetstream';
import { NotFoundException } from '@nestjs/common';
import { BatchNotConfirmedError } from '../messages/messages.errors.js';
import { problems } from './problem-details.js';
import { toProblem } from './to-problem.js';

const settings = (retryAfterSeconds: number) => ({ retryAfterSeconds, maxFieldErrors: 20 });

describe('toProblem', () => {
  it('keeps a ProblemException as it is, with its headers', () => {
    const { problem, headers } = toProblem(problems.brokerUnavailable('down', 3, { id: 'x' }), '/v1/x', settings(2));
    expect(problem).toMatchObject({ status: 503, detail: 'down', id: 'x', instance: '/v1/x' });
    expect(headers).toEqual({ 'retry-after': '3' });
  });

  it('maps each domain error to its status, once', () => {
    const cases: [unknown, number, string][] = [
      [new ValidationFailedError([{ field: 'amount', messages: ['must be a number'] }]), 400, 'urn:nestjet:problem:validation'],
      [new UnknownTopicError('nope', ['orders.created']), 404, 'urn:nestjet:problem:unknown-topic'],
      [new DeadLetterNotFoundError(7), 404, 'urn:nestjet:problem:not-found'],
      [new ReplayRefusedError('nothing to replay'), 409, 'urn:nestjet:problem:conflict'],
      [new ReplayUnreachableError('filter moved', false), 409, 'urn:nestjet:problem:conflict'],
      [new ReplayUnreachableError('edited route misses the consumer', true), 422, 'urn:nestjet:problem:unprocessable'],
      [new StreamFullError('orders.created.eu.std', 'ORDERS', 'maximum bytes exceeded'), 507, 'urn:nestjet:problem:stream-full'],
      [new PublishRejectedError('wrong stream'), 502, 'urn:nestjet:problem:broker-rejected'],
      [new PublishTimeoutError('m-1', 5000), 503, 'urn:nestjet:problem:broker-unavailable'],
      [new BatchNotConfirmedError([]), 503, 'urn:nestjet:problem:broker-unavailable'],
      // A JetStream 503 on a read (e.g. no stream leader) is an outage, not a missing record.
      [new JetStreamApiError({ code: 503, err_code: 10008, description: 'JetStream system temporarily unavailable' }), 503, 'urn:nestjet:problem:broker-unavailable'],
    ];
    for (const [error, status, type] of cases) {
      expect([(error as Error).name, toProblem(error, undefined, settings(2)).problem]).toEqual([(error as Error).name, expect.objectContaining({ status, type })]);
    }
  });

  it('carries field errors and the id to retry with', () => {
    const invalid = toProblem(new ValidationFailedError([{ field: 'amount', messages: ['must be a number'] }]), '/v1/t', settings(2)).problem;
    expect(invalid).toMatchObject({ detail: 'amount: must be a number', errors: [{ field: 'amount', messages: ['must be a number'] }] });
    const timeout = toProblem(new PublishTimeoutError('m-1', 5000), '/v1/t', settings(4));
    expect(timeout.headers).toEqual({ 'retry-after': '4' });
    expect(timeout.problem).toMatchObject({ id: 'm-1', detail: expect.stringMatching(/retry with Idempotency-Key: m-1/) });
  });

  it('names the earlier replay and the full stream', () => {
    const previous = { record: 'ORDERS:7:fulfillment@t', state: 'done' as const, startedAt: 't0', replayedAt: 't1', subject: 'orders.created.eu.std', stream: 'ORDERS', seq: 42, msgId: 'm', edited: false, forced: false };
    const twice = toProblem(new AlreadyReplayedError(5, previous), '/v1/dlq/5/replay', settings(2)).problem;
    expect(twice).toMatchObject({ status: 409, previousReplay: previous, detail: expect.stringMatching(/record 5 was already replayed at t1 to orders.created.eu.std \(ORDERS seq 42\); replay with force=true/) });
    const full = toProblem(new StreamFullError('orders.created.eu.std', 'ORDERS', 'maximum bytes exceeded'), '/v1/t', settings(2));
    expect(full.problem).toMatchObject({ status: 507, stream: 'ORDERS', detail: expect.stringMatching(/stream ORDERS is full .*nothing stored was evicted/) });
    expect(full.headers).toEqual({});
  });

  it('maps Nest HTTP exceptions to about:blank problems', () => {
    const { problem } = toProblem(new NotFoundException('Cannot POST /nope'), undefined, settings(2));
    expect(problem).toMatchObject({ type: 'about:blank', title: 'Not found', status: 404, detail: 'Cannot POST /nope' });
  });

  it('keeps the status of client errors raised inside Fastify', () => {
    const tooLarge = Object.assign(new Error('Request body is too large'), { statusCode: 413 });
    expect(toProblem(tooLarge, undefined, settings(2)).problem).toMatchObject({ status: 413, title: 'Payload too large', type: 'about:blank' });
  });

  it('hides internals of unexpected errors', () => {
    const { problem } = toProblem(new Error('secret stack detail'), undefined, settings(2));
    expect(problem).toEqual({ type: 'about:blank', title: 'Internal server error', status: 500, instance: undefined });
  });

  it('lists at most maxFieldErrors field errors and counts the rest', () => {
    const errors = Array.from({ length: 500 }, (_, i) => ({ field: `f${i}`, messages: ['is not allowed'] }));
    const { problem } = toProblem(new ValidationFailedError(errors), '/v1/t', { retryAfterSeconds: 2, maxFieldErrors: 3 });
    expect([(problem.errors as unknown[]).length, problem.errorsOmitted]).toEqual([3, 497]);
    expect((problem.detail ?? '').length).toBeLessThanOrEqual(1_001);
  });
});
