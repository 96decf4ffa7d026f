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

  it('answers reserved keys inside a field with errors where class-transformer would throw', () => {
    for (const payload of ['{"orderId":{"constructor":1}}', '{"orderId":[{"constructor":{}}]}']) {
      expect(validateTopicPayload(orders, { ...valid, ...JSON.parse(payload) }).map((e) => e.field)).toEqual([expect.stringMatching(/^orderId(\[0\])?\.constructor$/)]);
    }
  });

  it('refuses an array of lines nested in another array', () => {
    expect(validateTopicPayload(orders, { ...valid, lines: [[{ sku: 'a', quantity: 1 }]] }).map((e) => e.field)).toEqual(['lines']);
  });

  it('refuses an invalid payload past the validation budget as a whole, without class-validator', () => {
    const wide = Object.fromEntries(Array.from({ length: 65_535 }, (_, i) => [`k${i}`, i]));
    expect(validateTopicPayload(orders, { ...valid, ...wide })).toEqual([{ field: '(body)', messages: [expect.stringMatching(/more than 5000 values/)] }]);
    const long = { ...valid, lines: Array.from({ length: 10_000 }, () => ({ sku: 'a', quantity: 1 })) };
    expect(validateTopicPayload(orders, long, 'messages[0].payload')).toEqual([{ field: 'messages[0].payload', messages: [expect.stringMatching(/too many to check/)] }]);
    // Under the budget, every field error is still named.
    expect(validateTopicPayload(orders, { ...valid, lines: Array.from({ length: 600 }, () => ({ sku: 'a', quantity: 1 })) }).map((e) => e.field)).toEqual(['lines']);
  });

  it('refuses nesting past the payload bounds instead of recursing without end (a cyclic object)', () => {
    const cyclic: Record<string, unknown> = { ...valid };
    cyclic.orderId = { self: cyclic };
    expect(validateTopicPayload(orders, cyclic).map((e) => e.messages.join())).toEqual([expect.stringMatching(/nested deeper than 64|more than 5000 values/)]);
  });
});
