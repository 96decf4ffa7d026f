import { describe, expect, it } from '@jest/globals';
import { allowedMethods, routePattern } from './method-not-allowed.js';

describe('405 route matching', () => {
  const routes = [
    { pattern: routePattern('/v1/dlq/:id'), methods: new Set(['GET', 'DELETE']) },
    { pattern: routePattern('/v1/dlq/replay'), methods: new Set(['POST']) },
    { pattern: routePattern('/console/*'), methods: new Set(['GET']) },
    { pattern: routePattern('/v1/topics.json'), methods: new Set(['GET']) },
  ];

  it('matches a parameter as one segment and a wildcard as the rest', () => {
    expect(allowedMethods(routes, '/v1/dlq/42')).toEqual(['DELETE', 'GET', 'HEAD']);
    expect(allowedMethods(routes, '/v1/dlq/replay')).toEqual(['DELETE', 'GET', 'HEAD', 'POST']);
    expect(allowedMethods(routes, '/v1/dlq/42/replay')).toEqual([]);
    expect(allowedMethods(routes, '/console/assets/app.js')).toEqual(['GET', 'HEAD']);
  });

  it('takes the rest of a path literally', () => {
    expect(allowedMethods(routes, '/v1/topicsXjson')).toEqual([]);
    expect(allowedMethods(routes, '/v1/dlq')).toEqual([]);
  });
});
