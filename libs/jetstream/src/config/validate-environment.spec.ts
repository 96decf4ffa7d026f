import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JetStreamEnvironment } from './jetstream.environment.js';
import { ConfigurationError, redactValue, validateEnvironment } from './validate-environment.js';

function configurationError(env: Record<string, string>): string {
  try {
    validateEnvironment(JetStreamEnvironment, env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigurationError);
    return (e as Error).message;
  }
  throw new Error('expected a configuration error');
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

  it('refuses a password or token in plaintext to a non-loopback host, naming neither', () => {
    const message = configurationError({ NATS_URL: 'nats://nats.apps.svc:4222', NATS_USER: 'producer', NATS_PASSWORD: 's3cret-password-value' });
    expect(message).toMatch(/NATS_URL \("nats:\/\/nats.apps.svc:4222"\): NATS password\/token authentication would travel in plaintext to nats:\/\/nats.apps.svc:4222/);
    expect(message).not.toContain('s3cret');
    expect(configurationError({ NATS_URL: 'nats://10.0.0.5:4222', DLQ_NATS_USER: 'dlq', DLQ_NATS_PASSWORD: 'x'.repeat(20) })).toMatch(/plaintext to nats:\/\/10.0.0.5:4222/);
    expect(configurationError({ NATS_URL: 'nats://ops:hunter2-hunter2@10.0.0.5:4222' })).not.toContain('hunter2');
    expect(configurationError({ NATS_URL: 'nats://10.0.0.5:4222', NATS_TOKEN: 'tok-tok-tok-tok' })).toMatch(/plaintext/);
  });

  it('accepts password auth to loopback, over TLS, with creds files, or when allowed explicitly', () => {
    const auth = { NATS_USER: 'producer', NATS_PASSWORD: 'p'.repeat(20) };
    expect(() => validateEnvironment(JetStreamEnvironment, { NATS_URL: 'nats://127.0.0.1:4222,nats://localhost:4223,nats://[::1]:4224', ...auth })).not.toThrow();
    expect(() => validateEnvironment(JetStreamEnvironment, { NATS_URL: 'tls://nats.apps.svc:4222', ...auth })).not.toThrow();
    expect(() => validateEnvironment(JetStreamEnvironment, { NATS_URL: 'nats://nats.apps.svc:4222', NATS_CREDS_FILE: '/x.creds' })).not.toThrow();
    expect(() => validateEnvironment(JetStreamEnvironment, { NATS_URL: 'nats://nats.apps.svc:4222', NATS_ALLOW_PLAINTEXT_AUTH: 'true', ...auth })).not.toThrow();
  });

  it('maps TLS files and the dead-letter credentials to connection options, with per-component inboxes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nestjet-env-'));
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(dir, f), 'x');
    const env = validateEnvironment(JetStreamEnvironment, {
      NATS_URL: 'nats://nats.apps.svc:4222',
      NATS_USER: 'consumer',
      NATS_PASSWORD: 'c'.repeat(20),
      DLQ_NATS_USER: 'dlq',
      DLQ_NATS_PASSWORD: 'd'.repeat(20),
      NATS_TLS_CA: join(dir, 'ca.pem'),
      NATS_TLS_CERT: join(dir, 'cert.pem'),
      NATS_TLS_KEY: join(dir, 'key.pem'),
    });
    const tls = { caFile: join(dir, 'ca.pem'), certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') };
    expect(env.connectionOptions('consumer')).toMatchObject({ user: 'consumer', inboxPrefix: '_INBOX_consumer', tls });
    expect(env.deadLetterConnectionOptions()).toMatchObject({ servers: ['nats://nats.apps.svc:4222'], user: 'dlq', pass: 'd'.repeat(20), inboxPrefix: '_INBOX_dlq', tls });
    expect(validateEnvironment(JetStreamEnvironment, {}).deadLetterConnectionOptions()).toBeUndefined();
    // Replies go to the inbox of the user's component: a consumer process run as dlq (router only) reads _INBOX_dlq.
    expect(validateEnvironment(JetStreamEnvironment, { NATS_USER: 'dlq' }).connectionOptions('consumer').inboxPrefix).toBe('_INBOX_dlq');
    expect(validateEnvironment(JetStreamEnvironment, { NATS_USER: 'team-a' }).connectionOptions('consumer').inboxPrefix).toBe('_INBOX_consumer');
    expect(configurationError({ NATS_TLS_CERT: join(dir, 'cert.pem') })).toMatch(/NATS_TLS_KEY \(unset\): NATS_TLS_KEY must name a readable file/);
    expect(configurationError({ NATS_TLS_CA: join(dir, 'missing.pem') })).toMatch(/NATS_TLS_CA .*must name a readable file/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('never shows the value of a secret variable or the credentials in a URL', () => {
    expect(redactValue('ADMIN_TOKEN', 'short')).toBe('<redacted>');
    expect(redactValue('DLQ_NATS_PASSWORD', 'x')).toBe('<redacted>');
    expect(redactValue('SOME_API_KEY', 'nj_x')).toBe('<redacted>');
    expect(redactValue('API_KEYS_FILE', '/etc/keys.json')).toBe('"/etc/keys.json"');
    expect(redactValue('NATS_URL', ['nats://u:p@a:4222', 'nats://b:4222'])).toBe('["nats://<redacted>@a:4222","nats://b:4222"]');
    expect(redactValue('NATS_URL', 'tls://tok@a:4222')).toBe('"tls://<redacted>@a:4222"');
    expect(redactValue('CONSUMER_MAX_DELIVER', 'many')).toBe('"many"');
  });

  it('gives every dead-letter stream and bucket a byte limit and the router a bounded max_deliver', () => {
    const env = validateEnvironment(JetStreamEnvironment, { DLQ_MAX_BYTES: '65536', DLQ_ROUTER_MAX_DELIVER: '7' });
    const topology = env.topology(() => ({ streams: [], consumers: [], topics: [], buckets: [] }));
    expect(topology.streams.map((s) => [s.name, s.maxBytes, s.discard])).toEqual([
      ['DLQ_ADVISORIES', 64 * 1024 ** 2, 'new'],
      ['DLQ', 65536, 'new'],
      ['DLQ_REJECTED', 64 * 1024 ** 2, 'new'],
      ['AUDIT', 256 * 1024 ** 2, 'new'],
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

  it('keeps the audit trail append-only for AUDIT_MAX_AGE_DAYS, and refuses retention it cannot honour', () => {
    const env = validateEnvironment(JetStreamEnvironment, { AUDIT_MAX_AGE_DAYS: '30', AUDIT_MAX_BYTES: '1048576' });
    const audit = env.topology(() => ({ streams: [], consumers: [], topics: [], buckets: [] })).streams.find((s) => s.name === 'AUDIT');
    expect(audit).toMatchObject({ subjects: ['audit.>'], maxAgeMs: 30 * 24 * 3600_000, maxBytes: 1048576, discard: 'new', denyDelete: true, denyPurge: true });
    expect(validateEnvironment(JetStreamEnvironment, {}).AUDIT_MAX_AGE_DAYS).toBe(365);
    for (const bad of ['0', '1.5', 'forever', '-3']) {
      expect(() => validateEnvironment(JetStreamEnvironment, { AUDIT_MAX_AGE_DAYS: bad })).toThrow(/AUDIT_MAX_AGE_DAYS/);
    }
  });
});
