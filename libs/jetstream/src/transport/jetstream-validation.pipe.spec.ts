import { describe, expect, it } from '@jest/globals';
import { OrderCreatedDto } from '#contracts';
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

  it('refuses an invalid payload too big for class-validator whole', async () => {
    const huge = Object.fromEntries(Array.from({ length: 6_000 }, (_, i) => [`k${i}`, i]));
    await expect(pipe.transform(huge, { type: 'body', metatype: OrderCreatedDto })).rejects.toThrow(/too many to check field by field/);
  });
});
