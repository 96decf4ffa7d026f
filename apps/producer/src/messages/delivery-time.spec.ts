import { ValidationFailedError } from '#contracts';
import { parseDeliveryTime } from './delivery-time.js';

const now = Date.parse('2026-11-29T10:00:00.000Z');
const max = 24 * 3600_000;

function fieldErrors(query: Record<string, unknown>): string[] {
  try {
    parseDeliveryTime(query, now, max);
  } catch (err) {
    if (err instanceof ValidationFailedError) return err.errors.map((e) => `${e.field}: ${e.messages.join()}`);
    throw err;
  }
  throw new Error('expected a validation error');
}

describe('parseDeliveryTime', () => {
  it('is undefined when neither parameter is given (deliver now)', () => {
    expect(parseDeliveryTime({}, now, max)).toBeUndefined();
  });

  it('reads deliverAt in any zone, to the millisecond', () => {
    expect(parseDeliveryTime({ deliverAt: '2026-11-29T10:00:05Z' }, now, max)!.toISOString()).toBe('2026-11-29T10:00:05.000Z');
    expect(parseDeliveryTime({ deliverAt: '2026-11-29T11:00:05.250+01:00' }, now, max)!.toISOString()).toBe('2026-11-29T10:00:05.250Z');
  });

  it('adds delayMs to now', () => {
    expect(parseDeliveryTime({ delayMs: '5000' }, now, max)!.getTime()).toBe(now + 5000);
  });

  it.each([
    [{ deliverAt: '2026-11-29 10:00:05' }, 'deliverAt'],
    [{ deliverAt: '2026-11-29T10:00:05' }, 'deliverAt'], // no zone: ambiguous
    [{ deliverAt: '2026-13-45T10:00:05Z' }, 'deliverAt'],
    [{ deliverAt: ['2026-11-29T10:00:05Z', '2026-11-29T10:00:06Z'] }, 'deliverAt'],
    [{ deliverAt: '2026-11-29T09:59:59Z' }, 'deliverAt'],
    [{ deliverAt: '2026-11-29T10:00:00Z' }, 'deliverAt'],
    [{ delayMs: '0' }, 'delayMs'],
    [{ delayMs: '-5' }, 'delayMs'],
    [{ delayMs: '1.5' }, 'delayMs'],
    [{ delayMs: '5s' }, 'delayMs'],
    [{ delayMs: '' }, 'delayMs'],
    [{ delayMs: String(max + 1) }, 'delayMs'],
    [{ deliverAt: '2026-12-01T10:00:00Z' }, 'deliverAt'],
    [{ deliverAt: '2026-11-29T10:00:05Z', delayMs: '5000' }, 'delayMs'],
  ])('refuses %j with an error on %s', (query, field) => {
    const errors = fieldErrors(query);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`^${field}: `));
  });

  it('accepts exactly the furthest time allowed', () => {
    expect(parseDeliveryTime({ delayMs: String(max) }, now, max)!.getTime()).toBe(now + max);
  });
});
