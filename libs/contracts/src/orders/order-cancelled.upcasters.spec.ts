import { describe, expect, it } from '@jest/globals';
import { validateTopicPayload } from '../validation/topic-payload.validator.js';
import { buildTopology } from '../topology/topology.js';
import { ORDER_CANCELLED_UPCASTERS } from './order-cancelled.upcasters.js';

describe('orders.cancelled upcasters', () => {
  it('turns a valid version 1 payload into a valid version 2 payload', () => {
    const topic = buildTopology().topics.find((t) => t.name === 'orders.cancelled')!;
    const v1 = { orderId: 'ord-1', region: 'eu', reason: 'changed my mind' };
    expect(validateTopicPayload(topic, v1, '', 1)).toEqual([]);
    const v2 = ORDER_CANCELLED_UPCASTERS[1]!(v1);
    expect(v2).toEqual({ orderId: 'ord-1', region: 'eu', reason: { code: 'other', note: 'changed my mind' } });
    expect(validateTopicPayload(topic, v2)).toEqual([]);
    expect(validateTopicPayload(topic, v1).length).toBeGreaterThan(0);
  });
});
