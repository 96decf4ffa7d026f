import { describe, expect, it } from '@jest/globals';
import { originalSubject, parseRedeliverySubject, redeliveryFilter, redeliverySpace, redeliverySubject } from './redelivery-subject.js';

describe('redelivery subjects', () => {
  it('name the stream and the durable before the original subject', () => {
    expect(redeliverySubject('ORDERS', 'ledger-p3', 'orders.created.eu.std.p3')).toBe('nestjet-redeliver.ORDERS.ledger-p3.orders.created.eu.std.p3');
    expect(redeliveryFilter('ORDERS', 'ledger-p3')).toBe('nestjet-redeliver.ORDERS.ledger-p3.>');
    expect(redeliverySpace('ORDERS')).toBe('nestjet-redeliver.ORDERS.>');
  });

  it('are taken apart again, the original subject whole', () => {
    expect(parseRedeliverySubject('nestjet-redeliver.ORDERS.ledger-p3.orders.created.eu.std.p3')).toEqual({ stream: 'ORDERS', durable: 'ledger-p3', subject: 'orders.created.eu.std.p3' });
    expect(originalSubject('nestjet-redeliver.ORDERS.fulfillment.orders.paid')).toBe('orders.paid');
  });

  it.each([['orders.created.eu.std'], ['nestjet-redeliver'], ['nestjet-redeliver.ORDERS'], ['nestjet-redeliver.ORDERS.fulfillment'], ['nestjet-redeliver.ORDERS.fulfillment.'], ['nestjet-redeliver..x.y'], ['nestjet-redeliverx.ORDERS.a.b']])(
    'leave any other subject (%j) as it is',
    (subject) => {
      expect(parseRedeliverySubject(subject)).toBeUndefined();
      expect(originalSubject(subject)).toBe(subject);
    },
  );
});
