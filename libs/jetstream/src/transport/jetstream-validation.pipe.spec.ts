import { describe, expect, it } from '@jest/globals';
import { compiledPayloadCheck, OrderCancelledDto, OrderCreatedDto } from '#contracts';
import { ValidationPipe } from '@nestjs/common';
import { PayloadValidationError } from '../errors/non-retryable.error.js';
import { JetStreamValidationPipe } from './jetstream-validation.pipe.js';

/** An object any walk of its values trips over: what `@Ctx()` must never be put through. */
const untouchable = new Proxy(
  {},
  {
    ownKeys() {
      throw new Error('the pipe walked a value it must leave alone');
    },
  },
);

const valid = { orderId: 'o-1', customerId: 'c-1', amount: 10, currency: 'EUR', region: 'eu' };

describe('JetStreamValidationPipe', () => {
  const pipe = new JetStreamValidationPipe();

  it('passes `@Ctx()` and custom parameters through without looking inside them', async () => {
    await expect(pipe.transform(untouchable, { type: 'custom', metatype: OrderCreatedDto })).resolves.toBe(untouchable);
  });

  it('validates `@Payload()` against its DTO: a valid order becomes the DTO, an invalid one is poison', async () => {
    await expect(pipe.transform(valid, { type: 'body', metatype: OrderCreatedDto })).resolves.toBeInstanceOf(OrderCreatedDto);
    await expect(pipe.transform({ ...valid, amount: 'ten' }, { type: 'body', metatype: OrderCreatedDto })).rejects.toBeInstanceOf(PayloadValidationError);
  });

  it('gives a valid payload the same DTO instance class-validator\'s path gives, nested DTOs included; strips unknown fields as before', async () => {
    const reference = new ValidationPipe({ transform: true, whitelist: true });
    const cases: [unknown, typeof OrderCreatedDto | typeof OrderCancelledDto][] = [
      [valid, OrderCreatedDto],
      [{ ...valid, lines: [{ sku: 'SKU-1', quantity: 2 }] }, OrderCreatedDto],
      [{ orderId: 'o-1', region: 'eu', reason: { code: 'customer-request' } }, OrderCancelledDto],
      // Not for the compiled check (an unknown field): class-validator strips it.
      [{ ...valid, extra: 'dropped' }, OrderCreatedDto],
    ];
    // The first three take the compiled check's fast path, the last class-validator's.
    expect(cases.map(([payload, dto]) => compiledPayloadCheck(dto)?.(payload))).toEqual([true, true, true, false]);
    for (const [payload, dto] of cases) {
      const ours = await pipe.transform(structuredClone(payload), { type: 'body', metatype: dto });
      const theirs = await reference.transform(structuredClone(payload), { type: 'body', metatype: dto });
      expect(ours).toBeInstanceOf(dto);
      expect(ours).toEqual(theirs);
      expect(Object.getPrototypeOf((ours as { lines?: object[] }).lines?.[0] ?? {})).toBe(Object.getPrototypeOf((theirs as { lines?: object[] }).lines?.[0] ?? {}));
    }
  });

  it('refuses an invalid payload too big for class-validator whole', async () => {
    const huge = Object.fromEntries(Array.from({ length: 6_000 }, (_, i) => [`k${i}`, i]));
    await expect(pipe.transform(huge, { type: 'body', metatype: OrderCreatedDto })).rejects.toThrow(/too many to check field by field/);
  });
});
