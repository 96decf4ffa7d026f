import { describe, expect, it } from '@jest/globals';
import { JetStreamEnvironment } from './jetstream.environment.js';
import { IsInt, IsOptional, MinLength } from 'class-validator';
import { ConfigurationError, validateEnvironment } from './validate-environment.js';

class WithSecrets {
  @IsOptional()
  @MinLength(40)
  SOME_API_TOKEN?: string;

  @IsOptional()
  @IsInt()
  NATS_PASSWORD?: string;
}

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

  it('never shows a secret value: secret settings and passwords in URLs are redacted', () => {
    const messages: string[] = [];
    for (const [cls, env] of [
      [WithSecrets, { SOME_API_TOKEN: 'hunter2-short', NATS_PASSWORD: 'hunter2-pw' }],
      [JetStreamEnvironment, { NATS_URL: 'http://alice:hunter2-url@nats.example:4222' }],
    ] as const) {
      try {
        validateEnvironment(cls as new () => object, env);
      } catch (e) {
        messages.push((e as Error).message);
      }
    }
    const all = messages.join('\n');
    expect(all).toContain('SOME_API_TOKEN (<redacted>)');
    expect(all).toContain('NATS_PASSWORD (<redacted>)');
    expect(all).toContain('alice:<redacted>@nats.example');
    expect(all).not.toContain('hunter2');
  });
});
