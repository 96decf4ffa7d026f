import { describe, expect, it } from '@jest/globals';
import { buildTopology } from '#contracts';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPublishedSchemas } from '../apps/producer/src/topics/published-schemas.js';
import { ROOT } from '#test-support';

const PUBLISHED = join(ROOT, 'libs', 'contracts', 'schemas');

describe('published payload schemas stay compatible', () => {
  it('every declared version is published, and none changed incompatibly', async () => {
    const { unpublished, breaking } = await checkPublishedSchemas(buildTopology().topics, PUBLISHED);
    expect({ unpublished, breaking }).toEqual({ unpublished: [], breaking: [] });
  });

  it('fails when a published version was changed incompatibly (checked against altered copies of the published files)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nestjet-schemas-'));
    try {
      cpSync(PUBLISHED, dir, { recursive: true });
      // As if the DTO of orders.created v1 had lost `customerId` and `amount` had become a string: the published files say otherwise.
      const file = join(dir, 'orders.created.v1.schema.json');
      const schema = JSON.parse(readFileSync(file, 'utf8')) as { properties: Record<string, unknown>; required: string[] };
      schema.properties.discount = { type: 'number' };
      schema.required.push('discount');
      schema.properties.amount = { type: 'string' };
      writeFileSync(file, JSON.stringify(schema));
      const { breaking } = await checkPublishedSchemas(buildTopology().topics, dir);
      expect(breaking).toEqual(
        expect.arrayContaining(['orders.created v1: amount: retyped from string to number', 'orders.created v1: discount: removed (required in the published version)']),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
