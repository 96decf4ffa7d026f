import { describe, expect, it } from '@jest/globals';
import { HandlerRoutes } from './handler-routes.js';

describe('HandlerRoutes', () => {
  it('prefers a consumer-bound handler over a shared one', () => {
    const routes = new HandlerRoutes<string>();
    routes.add(undefined, 'orders.created', 'shared');
    routes.add('fulfillment', 'orders.created', 'fulfil');
    expect(routes.find('fulfillment', 'orders.created.eu.std')?.handler).toBe('fulfil');
    expect(routes.find('notifications', 'orders.created.eu.std')?.handler).toBe('shared');
    expect(routes.find('notifications', 'orders.paid.eu.std')).toBeNull();
  });

  it('refuses two handlers for the same pattern and consumer', () => {
    const routes = new HandlerRoutes<string>();
    routes.add('a', 'x', '1');
    expect(() => routes.add('a', 'x', '2')).toThrow(/two handlers/);
  });
});
