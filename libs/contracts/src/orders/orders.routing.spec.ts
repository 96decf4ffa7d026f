import { describe, expect, it } from '@jest/globals';
import { HIGH_VALUE_THRESHOLD } from './orders.constants.js';
import { routeByRegionAndValue } from './orders.routing.js';

describe('routeByRegionAndValue', () => {
  it('routes amounts from the threshold up as high', () => {
    expect(routeByRegionAndValue({ region: 'eu', amount: HIGH_VALUE_THRESHOLD })).toEqual(['eu', 'high']);
    expect(routeByRegionAndValue({ region: 'us', amount: HIGH_VALUE_THRESHOLD - 0.01 })).toEqual(['us', 'std']);
  });

  it('treats a payload without an amount as standard', () => {
    expect(routeByRegionAndValue({ region: 'apac' })).toEqual(['apac', 'std']);
  });
});
