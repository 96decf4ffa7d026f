import { describe, expect, it } from '@jest/globals';
import { idempotentMsgId } from './idempotency.js';

describe('idempotentMsgId', () => {
  it('is stable for the same caller, topic and key', () => {
    expect(idempotentMsgId('key:a', 'orders.created', 'k1')).toBe(idempotentMsgId('key:a', 'orders.created', 'k1'));
  });

  it('differs by caller, by topic and by key, also when the parts could be re-split', () => {
    const ids = new Set([
      idempotentMsgId('key:a', 'orders.created', 'k1'),
      idempotentMsgId('key:b', 'orders.created', 'k1'),
      idempotentMsgId('key:a', 'orders.paid', 'k1'),
      idempotentMsgId('key:a', 'orders.created', 'k2'),
      idempotentMsgId('key:a', 'orders.created\0k', '1'),
    ]);
    expect(ids.size).toBe(5);
  });

  it('never contains the key itself and stays a valid header value', () => {
    const id = idempotentMsgId('key:a', 'orders.created', 'secret-order-42');
    expect(id).not.toContain('secret');
    expect(id).toMatch(/^idem-[A-Za-z0-9_-]{43}$/);
  });
});
