import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Principal } from './principal.js';
import { parseQuotaOverrides, type QuotaOverrides } from '../quotas/quota-overrides.js';
import { scopeProblem } from './scope.js';

const HASH = /^sha256:([0-9a-f]{64})$/;
const KEY_ID = /^[A-Za-z0-9_.-]{1,64}$/;

interface StoredKey {
  id: string;
  digest: Buffer;
  scopes: string[];
  quotas?: QuotaOverrides;
}

export interface KeyChanges {
  added: string[];
  removed: string[];
  rotated: string[];
  rescoped: string[];
}

/** A new API key: 256 random bits, prefixed so secret scanners recognise it. */
export function generateApiKey(): string {
  return `nj_${randomBytes(32).toString('base64url')}`;
}

/** What API_KEYS_FILE stores for a key: its SHA-256, never the key (keys are random, so no slow hash is needed). */
export function hashApiKey(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

/**
 * The API keys of API_KEYS_FILE. Lookup hashes the presented key and compares
 * it with every stored digest in constant time: neither a key's content nor
 * its length shows in the timing, and every lookup costs the same.
 */
export class ApiKeyStore {
  private constructor(private readonly keys: StoredKey[]) {}

  /** Reads and checks the file; problems name the entry, never a secret. */
  static fromFile(file: string): ApiKeyStore {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`API_KEYS_FILE ${file}: ${(err as Error).message.replace(/^Unexpected.*in JSON.*/, 'not valid JSON')}`);
    }
    return ApiKeyStore.fromEntries(raw, `API_KEYS_FILE ${file}`);
  }

  static fromEntries(raw: unknown, source: string): ApiKeyStore {
    if (!Array.isArray(raw) || raw.length === 0) throw new Error(`${source}: must be a non-empty JSON array of {id, hash, scopes, quotas?}`);
    const ids = new Set<string>();
    const keys = raw.map((entry: unknown, i): StoredKey => {
      const at = `${source}[${i}]`;
      const { id, hash, scopes, quotas } = (entry ?? {}) as Record<string, unknown>;
      if (typeof id !== 'string' || !KEY_ID.test(id)) throw new Error(`${at}.id: 1-64 of A-Z a-z 0-9 _ . -`);
      if (ids.has(id)) throw new Error(`${at}.id: "${id}" appears twice`);
      ids.add(id);
      const digest = typeof hash === 'string' ? HASH.exec(hash)?.[1] : undefined;
      if (!digest) throw new Error(`${at}.hash: must be "sha256:<64 lowercase hex>" (the key's SHA-256, not the key)`);
      if (!Array.isArray(scopes)) throw new Error(`${at}.scopes: must be an array`);
      for (const scope of scopes) {
        const problem = scopeProblem(scope);
        if (problem) throw new Error(`${at}.scopes: ${problem}`);
      }
      const { overrides, problem } = parseQuotaOverrides(quotas);
      if (problem) throw new Error(`${at}.quotas: ${problem}`);
      return { id, digest: Buffer.from(digest, 'hex'), scopes: scopes as string[], ...(overrides ? { quotas: overrides } : {}) };
    });
    return new ApiKeyStore(keys);
  }

  get size(): number {
    return this.keys.length;
  }

  /** Which key ids `next` adds, removes, gives a new secret (rotated) or new scopes: what the audit trail records of a reload, never a secret. */
  changesTo(next: ApiKeyStore): KeyChanges {
    const before = new Map(this.keys.map((k) => [k.id, k]));
    const after = new Map(next.keys.map((k) => [k.id, k]));
    const kept = [...after.values()].filter((k) => before.has(k.id));
    return {
      added: [...after.keys()].filter((id) => !before.has(id)),
      removed: [...before.keys()].filter((id) => !after.has(id)),
      rotated: kept.filter((k) => !k.digest.equals(before.get(k.id)!.digest)).map((k) => k.id),
      rescoped: kept.filter((k) => [...k.scopes].sort().join(' ') !== [...before.get(k.id)!.scopes].sort().join(' ')).map((k) => k.id),
    };
  }

  find(presented: string): Principal | undefined {
    const digest = createHash('sha256').update(presented, 'utf8').digest();
    let found: StoredKey | undefined;
    for (const key of this.keys) {
      // No early exit: every lookup compares against every key.
      if (timingSafeEqual(digest, key.digest) && !found) found = key;
    }
    return found && { id: `key:${found.id}`, scopes: found.scopes, ...(found.quotas ? { quotas: found.quotas } : {}) };
  }
}
