import { HIGH_VALUE_THRESHOLD, type Region } from './orders.constants.js';

/** Content-based routing: `<region>.<tier>`, tier `high` from the threshold up. */
export function routeByRegionAndValue(payload: { region: Region; amount?: number }): string[] {
  const tier = (payload.amount ?? 0) >= HIGH_VALUE_THRESHOLD ? 'high' : 'std';
  return [payload.region, tier];
}
