import { describe, expect, it } from '@jest/globals';
import { ValidationFailedError } from '#contracts';
import { parseResetRequest } from './reset-request.js';

const fields = (body: unknown) => {
  try {
    parseResetRequest(body);
  } catch (err) {
    if (err instanceof ValidationFailedError) return err.errors.map((e) => e.field);
    throw err;
  }
  return [];
};

describe('parseResetRequest', () => {
  it('takes nothing (clear the delivery state) or a stream sequence', () => {
    expect(parseResetRequest({})).toEqual({});
    expect(parseResetRequest(undefined)).toEqual({});
    expect(parseResetRequest({ seq: 42 })).toEqual({ seq: 42 });
  });

  it('refuses sequences that are not stream sequences, other fields and non-objects', () => {
    for (const seq of [0, -1, 1.5, '42', Number.MAX_SAFE_INTEGER + 2, null]) expect(fields({ seq })).toEqual(['seq']);
    expect(fields({ seq: 1, to: 'start' })).toEqual(['to']);
    expect(fields([])).toEqual(['body']);
    // A JSON null is a body that is not an object (an empty body is none), found by schemathesis.
    expect(fields(null)).toEqual(['body']);
  });
});
