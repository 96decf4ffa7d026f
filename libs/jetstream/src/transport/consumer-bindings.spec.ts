import { buildTopology } from '#contracts';
import { consumerBindings } from './consumer-bindings.js';

const tuning = { concurrency: 32, prefetch: 64, maxKeepAliveMs: 300_000 };

describe('consumerBindings', () => {
  const topology = buildTopology({ partitions: 3, pinnedTimeoutMs: 4_000 });

  it('binds a consumer by name, with the process tuning', () => {
    const [b] = consumerBindings(topology, ['fulfillment'], tuning);
    expect(b).toMatchObject({ stream: 'ORDERS', durable: 'fulfillment', consumer: 'fulfillment', concurrency: 32, prefetch: 64 });
    expect(b!.pinned).toBeUndefined();
  });

  it('binds every partition durable of an ordered consumer, one message at a time each, pinned', () => {
    const bindings = consumerBindings(topology, ['ledger'], tuning);
    expect(bindings.map((b) => [b.durable, b.consumer, b.concurrency, b.pinned])).toEqual(
      [0, 1, 2].map((p) => [`ledger-p${p}`, 'ledger', 1, { group: 'pinned', timeoutMs: 4_000 }]),
    );
  });

  it('refuses an unknown name, listing consumers by name (not their partition durables)', () => {
    expect(() => consumerBindings(topology, ['ledger-p0', 'billing'], tuning)).toThrow(
      'unknown consumer(s) ledger-p0, billing; declared: fulfillment, notifications, fraud-review, ledger',
    );
  });
});
