import { describe, expect, it } from '@jest/globals';
import { buildTopology } from '#contracts';
import { ConfigurationError, validateEnvironment } from '#jetstream';
import { ConsumerEnvironment } from './consumer.environment.js';

const env = (vars: Record<string, string>) => validateEnvironment(ConsumerEnvironment, vars);
const topology = (e: ConsumerEnvironment) => e.topology(buildTopology);

describe('ConsumerEnvironment: which consumer group a worker runs', () => {
  it('binds the group its NATS user names, or CONSUMER_GROUP, and every consumer without either', () => {
    const orders = env({ NATS_USER: 'consumer-orders' });
    expect(orders.boundConsumers(topology(orders))).toEqual(['fulfillment', 'notifications', 'fraud-review']);
    const ledger = env({ CONSUMER_GROUP: 'ledger' });
    expect(ledger.boundConsumers(topology(ledger))).toEqual(['ledger']);
    const all = env({});
    expect(all.boundConsumers(topology(all))).toEqual(['fulfillment', 'notifications', 'fraud-review', 'ledger']);
    const none = env({ NATS_USER: 'dlq', CONSUMERS: 'none' });
    expect(none.boundConsumers(topology(none))).toEqual([]);
  });

  it('refuses a consumer of another group, and a group the topology does not have', () => {
    const wrong = env({ NATS_USER: 'consumer-ledger', CONSUMERS: 'ledger,fulfillment' });
    expect(() => wrong.boundConsumers(topology(wrong))).toThrow(ConfigurationError);
    expect(() => wrong.boundConsumers(topology(wrong))).toThrow(/fulfillment not in consumer group "ledger"/);
    const unknown = env({ CONSUMER_GROUP: 'billing' });
    expect(() => unknown.boundConsumers(topology(unknown))).toThrow(/no consumer of the topology is in group "billing"/);
  });

  it('runs the DLQ router only with the dlq user, and refuses it to a group\'s user without one', () => {
    expect(env({ NATS_USER: 'dlq', CONSUMERS: 'none' }).routerEnabled).toBe(true);
    expect(env({ NATS_USER: 'consumer-orders' }).routerEnabled).toBe(false);
    expect(env({ NATS_USER: 'consumer', DLQ_NATS_USER: 'dlq', DLQ_NATS_PASSWORD: 'x' }).routerEnabled).toBe(true);
    expect(() => env({ NATS_USER: 'consumer-orders', DLQ_ROUTER_ENABLED: 'true' }).checkRouter()).toThrow(/needs the dlq NATS user/);
    expect(() => env({ NATS_USER: 'consumer-orders' }).checkRouter()).not.toThrow();
  });
});
