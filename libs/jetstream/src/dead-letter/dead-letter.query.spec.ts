import { describe, expect, it } from '@jest/globals';
import { ValidationFailedError } from '#contracts';
import { dlqSubjectFilter, matchesRest, parseDeadLetterQuery } from './dead-letter.query.js';

describe('parseDeadLetterQuery', () => {
  it('parses filters and paging with defaults', () => {
    const q = parseDeadLetterQuery({ stream: 'ORDERS', since: '2026-11-27T00:00:00Z', limit: '10' });
    expect(q.page).toEqual({ limit: 10, after: 0 });
    expect(dlqSubjectFilter(q.filter)).toBe('dlq.ORDERS.*');
    expect(q.filter.since?.toISOString()).toBe('2026-11-27T00:00:00.000Z');
  });

  it('reports every bad parameter', () => {
    try {
      parseDeadLetterQuery({ stream: 'a b', since: 'yesterday', reason: 'x'.repeat(201), limit: '0', after: '-1', colour: 'red' });
      throw new Error('no error');
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationFailedError);
      expect((err as ValidationFailedError).errors.map((e) => e.field)).toEqual(['stream', 'since', 'reason', 'limit', 'after', 'colour']);
    }
  });
});

describe('parseDeadLetterQuery states what /docs/openapi.json says', () => {
  it('takes RFC 3339 date-times only, and a reversed range as one that matches nothing', () => {
    for (const since of ['2026', '0', '2026-11-27', 'Nov 27 2026']) expect(() => parseDeadLetterQuery({ since })).toThrow(ValidationFailedError);
    const { filter } = parseDeadLetterQuery({ since: '2026-11-28t00:00:00z', until: '2026-11-27T00:00:00+01:00' });
    expect(matchesRest(filter, { subject: 'a', lastFailureAt: '2026-11-27T12:00:00Z', reason: '', errorName: '' })).toBe(false);
  });

  it('counts reason in characters and takes paging as plain decimal integers', () => {
    expect(parseDeadLetterQuery({ reason: '😀'.repeat(200) }).filter.reason).toHaveLength(400);
    for (const limit of ['1e2', '0x10', ' 5', '+5', '']) expect(() => parseDeadLetterQuery({ limit })).toThrow(ValidationFailedError);
    expect(() => parseDeadLetterQuery({ after: '9007199254740993' })).toThrow(ValidationFailedError);
  });
});

describe('matchesRest', () => {
  const record = {
    subject: 'orders.created.eu.high',
    lastFailureAt: '2026-11-27T12:00:00Z',
    reason: 'payload failed validation: amount must be a number',
    errorName: 'PayloadValidationError',
  };
  it('filters by original subject with wildcards and by time', () => {
    expect(matchesRest({ subject: 'orders.*.*.high' }, record)).toBe(true);
    expect(matchesRest({ subject: 'orders.paid' }, record)).toBe(false);
    expect(matchesRest({ since: new Date('2026-11-27T13:00:00Z') }, record)).toBe(false);
    expect(matchesRest({ until: new Date('2026-11-27T13:00:00Z') }, record)).toBe(true);
  });

  it('filters by text in the reason or the error name, any case', () => {
    expect(matchesRest({ reason: 'AMOUNT must' }, record)).toBe(true);
    expect(matchesRest({ reason: 'payloadvalidation' }, record)).toBe(true);
    expect(matchesRest({ reason: 'timeout' }, record)).toBe(false);
  });
});
