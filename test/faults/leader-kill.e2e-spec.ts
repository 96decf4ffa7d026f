import { describe, expect, it } from '@jest/globals';
import { runFault } from './fault-run.js';
import { streamLeaderKill } from './fault-scenarios.js';

// The short version of `npm run faults`' first scenario, same code: a 3-node
// cluster (R3, sync_interval always), about 100 orders through the REST ingress
// with client retries, the ORDERS stream leader SIGKILLed and restarted.
describe('fault: SIGKILL of the ORDERS stream leader in a 3-node cluster', () => {
  it('stores every 202 exactly once and processes it by each durable it routes to', async () => {
    const result = await runFault(streamLeaderKill, { ratePerSecond: 10, warmUpMs: 1500, coolDownMs: 2000 });
    const o = result.outcome;
    expect(result.reason).toBeUndefined();
    expect(o?.violations).toEqual([]);
    expect(result.status).toBe('passed');
    expect(o!.accepted).toBeGreaterThanOrEqual(50);
    expect(o!.storedOnce).toBe(o!.accepted);
    expect(o!.processedByAll).toBe(o!.accepted);
    expect(result.detail).toMatch(/^killed stream leader nats-\d/);
    process.stdout.write(`leader kill: ${result.detail}; ${o!.accepted} accepted, ${o!.duplicateProcessings} duplicate processings, refusals ${JSON.stringify(o!.refusals)}\n`);
  }, 240_000);
});
