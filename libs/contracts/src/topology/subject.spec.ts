import { describe, expect, it } from '@jest/globals';
import { filterCoversTopic, subjectFor, subjectMatches, wildcardMatches } from './subject.js';
import type { TopicDeclaration } from './topology.types.js';

describe('subjectMatches', () => {
  it.each([
    ['orders.created', 'orders.created', true],
    ['orders.created', 'orders.created.eu.high', true],
    ['orders.created', 'orders.paid.eu.std', false],
    ['orders.*', 'orders.paid.eu.std', true],
    ['orders.>', 'orders.paid', true],
    ['orders.>', 'orders', false],
    ['orders.created.*.high', 'orders.created.eu.high', true],
    ['orders.created.*.high', 'orders.created.eu.std', false],
    ['orders.created.eu.high.extra', 'orders.created.eu.high', false],
  ])('%s vs %s → %s', (pattern, subject, expected) => {
    expect(subjectMatches(pattern, subject)).toBe(expected);
  });
});

describe('subjectFor', () => {
  const topic: TopicDeclaration<{ region: string }> = {
    name: 'orders.created',
    stream: 'ORDERS',
    description: '',
    payload: class {
      region = '';
    },
    route: (p) => [p.region],
  };

  it('appends routing tokens to the topic', () => {
    expect(subjectFor(topic, { region: 'eu' })).toBe('orders.created.eu');
  });

  it('refuses tokens that would change the subject hierarchy', () => {
    expect(() => subjectFor(topic, { region: 'eu.>' })).toThrow(/invalid subject token/);
    expect(() => subjectFor(topic, { region: '' })).toThrow(/invalid subject token/);
  });
});

describe('filterCoversTopic', () => {
  it.each([
    ['orders.created.>', 'orders.created', true],
    ['orders.>', 'orders.paid', true],
    ['orders.created.*.high', 'orders.created', true],
    ['orders.created.*.high', 'orders.paid', false],
    ['orders.*', 'orders.created', false],
    ['orders.created', 'orders.created', false],
    ['>', 'orders.created', true],
    ['billing.>', 'orders.created', false],
  ])('%s covers %s → %s', (filter, topic, expected) => {
    expect(filterCoversTopic(filter, topic)).toBe(expected);
  });
});

describe('wildcardMatches', () => {
  it.each([
    ['orders.created', 'orders.created', true],
    ['orders.*', 'orders.created', true],
    ['orders.>', 'orders.created.eu', true],
    ['>', 'orders.created', true],
    ['orders', 'orders.created', false],
    ['orders.*', 'orders.created.eu', false],
    ['orders.created.>', 'orders.created', false],
  ])('%s vs %s → %s', (pattern, subject, expected) => {
    expect(wildcardMatches(pattern, subject)).toBe(expected);
  });
});

describe('wildcardMatches as a consumer filter', () => {
  it.each([
    ['orders.created.>', 'orders.created.eu.std', true],
    ['orders.created.*.high', 'orders.created.eu.high', true],
    ['orders.created.*.high', 'orders.created.eu.std', false],
    // A consumer filter without wildcards selects that subject only, not the routed ones below it.
    ['orders.created', 'orders.created.eu.std', false],
    ['orders.created', 'orders.created', true],
    ['>', 'orders.paid.eu.std', true],
    ['orders.*', 'orders.paid.eu.std', false],
  ])('%s vs %s → %s', (filter, subject, expected) => {
    expect(wildcardMatches(filter, subject)).toBe(expected);
  });
});
