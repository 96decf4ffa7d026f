import { describe, expect, it } from '@jest/globals';
import { buildTopology } from '../topology/topology.js';
import { validateTopicPayload } from './topic-payload.validator.js';

const orders = buildTopology().topics[0]!;
const valid = { orderId: 'o-1', customerId: 'c-1', amount: 10, currency: 'EUR', region: 'eu' };

describe('validateTopicPayload', () => {
  it('accepts a valid order and refuses an unknown field', () => {
    expect(validateTopicPayload(orders, valid)).toEqual([]);
    expect(validateTopicPayload(orders, { ...valid, extra: 1 })).toEqual([{ field: 'extra', messages: ['property extra should not exist'] }]);
  });

  it('refuses keys named like inherited members, which the whitelist check does not see', () => {
    expect(validateTopicPayload(orders, JSON.parse('{"orderId":"o-1","customerId":"c-1","amount":10,"currency":"EUR","region":"eu","constructor":1}'))).toEqual([
      { field: 'constructor', messages: ['property constructor should not exist'] },
    ]);
    for (const key of ['valueOf', 'toString', 'hasOwnProperty', 'isPrototypeOf', 'prototype']) {
      expect(validateTopicPayload(orders, { ...valid, [key]: 1 }).map((e) => e.field)).toEqual([key]);
    }
  });
});
