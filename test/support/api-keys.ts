import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateApiKey, hashApiKey } from '../../apps/producer/src/auth/api-key.store.js';
import { idempotentMsgId } from '../../apps/producer/src/messages/idempotency.js';

export const ALL_SCOPES = ['publish:>', 'topics:read', 'dlq:read', 'dlq:replay', 'dlq:purge', 'ops:read', 'consumers:manage', 'schedules:read', 'schedules:cancel', 'schedules:admin', 'audit:read'];

export interface TestKey {
  id: string;
  key: string;
  scopes: string[];
  /** The entry's quota overrides (`{"requests"?, "publishBytes"?}`). */
  quotas?: Record<string, number>;
}

/** This test process's key with every scope: what startProducer configures and postJson/authHeaders send. */
export const TEST_API_KEY: TestKey = { id: 'test', key: generateApiKey(), scopes: ALL_SCOPES };

/** Writes an API_KEYS_FILE (hashes only) for the given keys; returns its path. */
export function writeApiKeysFile(keys: TestKey[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'nestjet-keys-')), 'api-keys.json');
  writeFileSync(file, JSON.stringify(keys.map((k) => ({ id: k.id, hash: hashApiKey(k.key), scopes: k.scopes, ...(k.quotas ? { quotas: k.quotas } : {}) }))), { mode: 0o600 });
  return file;
}

export function testKey(id: string, scopes: string[], quotas?: Record<string, number>): TestKey {
  return { id, key: generateApiKey(), scopes, ...(quotas ? { quotas } : {}) };
}

/** `Authorization: Bearer <key>`, with TEST_API_KEY unless another key is given. */
export function authHeaders(key: TestKey = TEST_API_KEY): Record<string, string> {
  return { authorization: `Bearer ${key.key}` };
}

/** The Nats-Msg-Id the ingress stores for an Idempotency-Key (or generated id) sent with `key` to `topic`. */
export function storedMsgId(idempotencyKey: string, topic = 'orders.created', key: TestKey = TEST_API_KEY): string {
  return idempotentMsgId(`key:${key.id}`, topic, idempotencyKey);
}
