import { describe, expect, it } from '@jest/globals';
import { errors } from '@nats-io/transport-node';
import { whileUnavailable } from './while-unavailable.js';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

describe('whileUnavailable', () => {
  it('runs the step again after a broker timeout and returns its result', async () => {
    let calls = 0;
    const result = await whileUnavailable(
      async () => {
        if (++calls === 1) throw new errors.TimeoutError();
        return 'bound';
      },
      quiet,
      'test.retry',
    );
    expect(result).toBe('bound');
    expect(calls).toBe(2);
  });

  it('gives up at once on an error that is not an outage', async () => {
    let calls = 0;
    const missing = new Error('consumer not found');
    await expect(
      whileUnavailable(
        async () => {
          calls++;
          throw missing;
        },
        quiet,
        'test.retry',
      ),
    ).rejects.toBe(missing);
    expect(calls).toBe(1);
  });
});
