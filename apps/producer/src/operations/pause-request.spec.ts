import { describe, expect, it } from '@jest/globals';
import { ValidationFailedError } from '#contracts';
import { DEFAULT_PAUSE_MS, parsePauseRequest } from './pause-request.js';

const now = new Date('2026-11-28T12:00:00Z');
const fields = (body: unknown) => {
  try {
    parsePauseRequest(body, now);
  } catch (err) {
    if (err instanceof ValidationFailedError) return err.errors.map((e) => e.field);
    throw err;
  }
  return [];
};

describe('parsePauseRequest', () => {
  it('pauses for a day by default', () => {
    expect(parsePauseRequest({}, now).until.getTime() - now.getTime()).toBe(DEFAULT_PAUSE_MS);
    expect(parsePauseRequest(undefined, now).until.getTime() - now.getTime()).toBe(DEFAULT_PAUSE_MS);
  });

  it('takes an RFC 3339 time in the future, with an offset', () => {
    expect(parsePauseRequest({ until: '2026-11-28T14:00:00+01:00' }, now).until.toISOString()).toBe('2026-11-28T13:00:00.000Z');
  });

  it('refuses the past, the far future, other formats, other fields and non-objects', () => {
    expect(fields({ until: '2026-11-28T11:59:59Z' })).toEqual(['until']);
    expect(fields({ until: '2028-01-01T00:00:00Z' })).toEqual(['until']);
    expect(fields({ until: 'tomorrow' })).toEqual(['until']);
    expect(fields({ until: 1767225600000 })).toEqual(['until']);
    expect(fields({ until: '2026-11-29' })).toEqual(['until']);
    expect(fields({ until: '2026-11-29T00:00:00Z', for: 'ever' })).toEqual(['for']);
    expect(fields({ for: 'ever' })).toEqual(['for']);
    expect(fields([])).toEqual(['body']);
    // A JSON null is a body that is not an object (an empty body is none), found by schemathesis.
    expect(fields(null)).toEqual(['body']);
    expect(fields('2026-11-29T00:00:00Z')).toEqual(['body']);
  });
});
