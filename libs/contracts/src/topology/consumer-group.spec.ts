import { describe, expect, it } from '@jest/globals';
import { buildTopology } from './topology.js';
import { consumerGroupMembers, consumerGroupOf, consumerGroups } from './consumer-group.js';
import type { ConsumerDeclaration } from './topology.types.js';

const consumer = (c: Partial<ConsumerDeclaration>): ConsumerDeclaration => ({
  stream: 'S',
  durable: 'd',
  description: '',
  filterSubjects: ['s.>'],
  ackWaitMs: 1000,
  maxDeliver: 1,
  maxAckPending: 1,
  retryDelaysMs: [1000],
  ...c,
});

describe('consumer groups', () => {
  it('a durable belongs to its declared group, else its partitioned consumer, else itself', () => {
    expect(consumerGroupOf(consumer({ durable: 'a', group: 'team' }))).toBe('team');
    expect(consumerGroupOf(consumer({ durable: 'ledger-p3', partition: { consumer: 'ledger', index: 3, pinnedTimeoutMs: 1 } }))).toBe('ledger');
    expect(consumerGroupOf(consumer({ durable: 'alone' }))).toBe('alone');
  });

  it('the example shop has two groups: orders and ledger', () => {
    expect(consumerGroups(buildTopology())).toEqual(['orders', 'ledger']);
  });

  it('refuses a group name that cannot be part of a NATS user name', () => {
    expect(() => consumerGroups({ consumers: [consumer({ group: 'a.b' })] })).toThrow(/consumer group "a\.b"/);
    expect(() => consumerGroups({ consumers: [consumer({ group: '' })] })).toThrow(/consumer group ""/);
  });

  it("lists each group's consumers by name, a partitioned consumer once", () => {
    expect(consumerGroupMembers(buildTopology())).toEqual({ orders: ['fulfillment', 'notifications', 'fraud-review'], ledger: ['ledger'] });
    expect(consumerGroupMembers({ consumers: [consumer({ durable: 'a', group: 'g' }), consumer({ durable: 'b' }), consumer({ durable: 'c', group: 'g' })] })).toEqual({
      g: ['a', 'c'],
      b: ['b'],
    });
  });
});
