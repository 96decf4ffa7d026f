import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { IsInt, IsString, ValidateNested } from 'class-validator';
import { topicVersions } from '../topology/topic-version.js';
import { buildTopology } from '../topology/topology.js';
import { compiledPayloadCheck } from './compiled-payload.validator.js';
import { payloadErrors } from './topic-payload.validator.js';
import { propertyRuns } from '../../../../test/support/property-runs.js';

/** Deterministic PRNG (mulberry32) so a disagreement can be replayed from the seed printed with it. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VALID = {
  orderId: 'ord-1',
  customerId: 'cus-1',
  paymentId: 'pay-1',
  reason: { code: 'other', note: 'customer request' },
  amount: 120.5,
  currency: 'EUR',
  region: 'eu',
  lines: [{ sku: 'SKU-1', quantity: 2 }],
};

const ODD_VALUES: unknown[] = [
  null, true, 0, -1, 0.001, 1.005, 1e9, 1e9 + 1, 10_000, 10_001, 1.5, '', 'x'.repeat(64), 'x'.repeat(65), 'EUR', 'XXX', 'eur', 'us', 'apac',
  [], [null], [{}], [{ sku: 'a', quantity: 1, extra: 1 }], [{ sku: 'a', quantity: 0 }], [[{ sku: 'a', quantity: 1 }]], {}, { sku: 'a', quantity: 1 },
  { constructor: 1 }, [{ constructor: {} }], { valueOf: 'x' },
  Array.from({ length: 501 }, () => ({ sku: 'a', quantity: 1 })),
];
const ODD_KEYS = ['constructor', 'valueOf', 'toString', 'hasOwnProperty', 'extra', 'orderid', 'lines', 'amount'];

/** A payload near the valid one: some fields dropped, replaced by odd values, or joined by unknown keys, at the top or in a line. */
function mutate(rand: () => number, base: Record<string, unknown>): unknown {
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
  // Clones: an odd value edited in one payload must not change the next.
  const odd = () => structuredClone(pick(ODD_VALUES));
  if (rand() < 0.03) return JSON.parse(JSON.stringify(odd())) as unknown;
  const payload: Record<string, unknown> = structuredClone(base);
  const edits = Math.floor(rand() * 3);
  for (let i = 0; i < edits; i++) {
    const key = pick([...Object.keys(payload), ...ODD_KEYS]);
    const r = rand();
    if (r < 0.3) delete payload[key];
    else if (r < 0.9) payload[key] = odd();
    else if (Array.isArray(payload.lines) && typeof payload.lines[0] === 'object' && payload.lines[0] !== null) {
      const line = payload.lines[0] as Record<string, unknown>;
      line[pick(['sku', 'quantity', ...ODD_KEYS])] = odd();
    }
  }
  // What the ingress would parse: an edit above could give an array a named property, which no JSON body can.
  return JSON.parse(JSON.stringify(payload)) as unknown;
}

describe('compiledPayloadCheck', () => {
  const dtos = buildTopology().topics.flatMap((t) => topicVersions(t).map((v) => [`${t.name} v${v.version}`, v.payload] as const));

  it.each(dtos)('agrees with class-validator on %s for valid and mutated payloads', (name, dto) => {
    const check = compiledPayloadCheck(dto);
    expect(check).toBeDefined();
    const fields = new Set(Object.keys(payloadErrors(dto, {}).reduce((a, e) => ({ ...a, [e.field]: 1 }), {})));
    // Version 1 of orders.cancelled has the reason as text.
    const fixture = name === 'orders.cancelled v1' ? { ...VALID, reason: 'customer request' } : VALID;
    const valid = Object.fromEntries(Object.entries(fixture).filter(([k]) => fields.has(k)));
    expect(payloadErrors(dto, valid)).toEqual([]);
    const { seed, numRuns } = propertyRuns(3_000);
    const rand = prng(seed);
    let accepted = 0;
    for (let i = 0; i < numRuns; i++) {
      const payload = mutate(rand, valid);
      let reference: boolean;
      try {
        reference = payloadErrors(dto, payload).length === 0;
      } catch (err) {
        throw new Error(`seed ${seed}, case ${i}: class-validator threw ${String(err)} for ${JSON.stringify(payload)}`);
      }
      if (check!(payload) !== reference) {
        throw new Error(`seed ${seed}, case ${i}: compiled ${!reference}, class-validator ${reference} for ${JSON.stringify(payload)}`);
      }
      if (reference) accepted += 1;
    }
    // Both verdicts occur, or the comparison proves little.
    expect(accepted).toBeGreaterThan(numRuns / 30);
    expect(accepted).toBeLessThan(numRuns - numRuns / 30);
  });

  it('leaves DTOs it cannot model to class-validator', () => {
    class Grouped {
      @IsString({ groups: ['admin'] })
      name!: string;
    }
    class Untyped {
      @ValidateNested()
      child!: object;
    }
    class Plain {
      @IsInt()
      n!: number;
    }
    expect(compiledPayloadCheck(Grouped)).toBeUndefined();
    expect(compiledPayloadCheck(Untyped)).toBeUndefined();
    expect(compiledPayloadCheck(Plain)!({ n: 1 })).toBe(true);
    expect(compiledPayloadCheck(Plain)!({ n: 1, constructor: 1 })).toBe(false);
  });
});
