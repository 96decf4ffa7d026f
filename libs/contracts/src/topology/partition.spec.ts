import { consumerNameOf, partitionOf, partitionToken } from './partition.js';

describe('partitionOf', () => {
  it('is FNV-1a 32 modulo the count: stable, and the same for the same key', () => {
    // FNV-1a("a") = 0xe40c292c, FNV-1a("foobar") = 0xbf9cf968 (reference vectors).
    expect(partitionOf('a', 2 ** 31)).toBe(0xe40c292c % 2 ** 31);
    expect(partitionOf('foobar', 1000)).toBe(0xbf9cf968 % 1000);
    expect(partitionOf('cus-42', 8)).toBe(partitionOf('cus-42', 8));
  });

  it('spreads 100 customers over 8 partitions, none empty or holding most', () => {
    const counts = new Array<number>(8).fill(0);
    for (let c = 0; c < 100; c++) counts[partitionOf(`cus-${c}`, 8)]!++;
    expect(Math.min(...counts)).toBeGreaterThan(0);
    expect(Math.max(...counts)).toBeLessThan(30);
  });

  it('hashes UTF-8 bytes, not UTF-16 units', () => {
    expect(partitionOf('é', 2 ** 31)).not.toBe(partitionOf('\u00e9'.normalize('NFD'), 2 ** 31));
  });
});

describe('partitionToken and consumerNameOf', () => {
  it('names partitions p<n> and durables by their consumer', () => {
    expect(partitionToken(3)).toBe('p3');
    expect(consumerNameOf({ durable: 'ledger-p3', partition: { consumer: 'ledger', index: 3, pinnedTimeoutMs: 1000 } })).toBe('ledger');
    expect(consumerNameOf({ durable: 'fulfillment' })).toBe('fulfillment');
  });
});
