import { describe, expect, it } from '@jest/globals';
import { breakingChanges } from './schema-compatibility.js';

const published = {
  type: 'object',
  additionalProperties: false,
  required: ['orderId', 'amount', 'region'],
  properties: {
    orderId: { type: 'string', minLength: 1, maxLength: 64 },
    amount: { type: 'number', minimum: 0 },
    region: { type: 'string', enum: ['eu', 'us'] },
    note: { type: 'string' },
    lines: { type: 'array', maxItems: 10, items: { $ref: '#/$defs/Line' } },
  },
  $defs: { Line: { type: 'object', required: ['sku'], properties: { sku: { type: 'string' } } } },
};
const clone = () => JSON.parse(JSON.stringify(published)) as typeof published & Record<string, any>;

describe('breakingChanges', () => {
  it('finds nothing in the same schema, or in compatible changes', () => {
    expect(breakingChanges(published, clone())).toEqual([]);
    const looser = clone();
    looser.properties.orderId.maxLength = 128;
    looser.properties.region.enum.push('apac');
    (looser.properties as Record<string, unknown>).channel = { type: 'string' };
    (looser.properties.note as Record<string, unknown>).description = 'free text';
    expect(breakingChanges(published, looser)).toEqual([]);
  });

  it('finds a required field removed, a field retyped, an optional field removed', () => {
    const s = clone();
    delete (s.properties as Record<string, unknown>).orderId;
    s.required = ['amount', 'region'];
    s.properties.amount = { type: 'string' } as never;
    delete (s.properties as Record<string, unknown>).note;
    expect(breakingChanges(published, s)).toEqual([
      'orderId: removed (required in the published version)',
      'amount: retyped from number to string',
      'note: removed (optional in the published version)',
    ]);
  });

  it('finds a newly required field, dropped values and tightened limits, nested definitions included', () => {
    const s = clone();
    s.required.push('note');
    s.properties.region.enum = ['eu'];
    s.properties.orderId.maxLength = 32;
    s.properties.lines.maxItems = 5;
    s.$defs.Line.properties.sku = { type: 'integer' } as never;
    expect(breakingChanges(published, s).sort()).toEqual(
      [
        '$defs.Line.sku: retyped from string to integer',
        'lines: maxItems lowered from 10 to 5',
        'note: now required (messages of the published version may lack it)',
        'orderId: maxLength lowered from 64 to 32',
        'region: no longer allows "us"',
      ].sort(),
    );
  });
});
