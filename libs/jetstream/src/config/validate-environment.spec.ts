import { describe, expect, it } from '@jest/globals';
import { JetStreamEnvironment } from './jetstream.environment.js';
import { ConfigurationError, validateEnvironment } from './validate-environment.js';

describe('validateEnvironment', () => {
  it('applies defaults and converts types', () => {
    const env = validateEnvironment(JetStreamEnvironment, {
      NATS_URL: 'nats://a:4222, nats://b:4222',
      CONSUMER_RETRY_DELAYS_MS: '100,200',
      CONSUMER_MAX_DELIVER: '3',
    });
    expect(env.NATS_URL).toEqual(['nats://a:4222', 'nats://b:4222']);
    expect(env.CONSUMER_RETRY_DELAYS_MS).toEqual([100, 200]);
    expect(env.topologyOptions().maxDeliver).toBe(3);
    expect(env.STREAM_REPLICAS).toBe(1);
  });

  it('reports every bad value with its name and value', () => {
    let error: unknown;
    try {
      validateEnvironment(JetStreamEnvironment, {
        NATS_URL: 'http://wrong',
        CONSUMER_MAX_DELIVER: 'many',
        CONSUMER_RETRY_DELAYS_MS: '100,-5',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const message = (error as Error).message;
    expect(message).toMatch(/NATS_URL \("http:\/\/wrong"\): each entry must be a nats:/);
    expect(message).toMatch(/CONSUMER_MAX_DELIVER \("many"\)/);
    expect(message).toMatch(/CONSUMER_RETRY_DELAYS_MS \("100,-5"\)/);
  });

  it('gives every dead-letter stream and bucket a byte limit and the router a bounded max_deliver', () => {
    const env = validateEnvironment(JetStreamEnvironment, { DLQ_MAX_BYTES: '65536', DLQ_ROUTER_MAX_DELIVER: '7' });
    const topology = env.topology(() => ({ streams: [], consumers: [], topics: [], buckets: [] }));
    expect(topology.streams.map((s) => [s.name, s.maxBytes, s.discard])).toEqual([
      ['DLQ_ADVISORIES', 64 * 1024 ** 2, 'new'],
      ['DLQ', 65536, 'new'],
      ['DLQ_REJECTED', 64 * 1024 ** 2, 'new'],
    ]);
    expect(topology.buckets.map((b) => [b.name, b.maxBytes])).toEqual([
      ['nestjet_failures', 256 * 1024 ** 2],
      ['nestjet_replays', 64 * 1024 ** 2],
    ]);
    expect(topology.consumers.find((c) => c.durable === 'dlq-router')?.maxDeliver).toBe(7);
    expect(() => validateEnvironment(JetStreamEnvironment, { DLQ_ROUTER_MAX_DELIVER: '-1', DLQ_MAX_BYTES: '-1' })).toThrow(
      /DLQ_MAX_BYTES \("-1"\)[\s\S]*DLQ_ROUTER_MAX_DELIVER \("-1"\)/,
    );
  });
});
