import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA } from './local-stack.mjs';
import { ROOT } from './run.mjs';

export const LOCAL_API_KEY_FILE = join(DATA, 'local-api-key');
const KEYS_FILE = join(DATA, 'api-keys.json');

/**
 * The local stack's API key: made on first start (every scope), kept in
 * .data/local-api-key (0600) for the demo, the curl examples and you; the
 * producer gets only its hash, in .data/api-keys.json. Needs the build (dist/).
 */
export async function ensureLocalApiKey() {
  const { generateApiKey, hashApiKey } = await import(join(ROOT, 'dist', 'apps', 'producer', 'src', 'auth', 'api-key.store.js'));
  const { SCOPES } = await import(join(ROOT, 'dist', 'apps', 'producer', 'src', 'auth', 'auth.constants.js'));
  const created = !existsSync(LOCAL_API_KEY_FILE);
  if (created) writeFileSync(LOCAL_API_KEY_FILE, `${generateApiKey()}\n`, { mode: 0o600 });
  chmodSync(LOCAL_API_KEY_FILE, 0o600);
  const key = readFileSync(LOCAL_API_KEY_FILE, 'utf8').trim();
  writeFileSync(KEYS_FILE, JSON.stringify([{ id: 'local', hash: hashApiKey(key), scopes: ['publish:>', ...SCOPES] }], null, 2), { mode: 0o600 });
  return { key, keysFile: KEYS_FILE, created };
}

/** For the demo and other clients of a running stack: NESTJET_API_KEY, else the local key file. */
export function localApiKey() {
  if (process.env.NESTJET_API_KEY) return process.env.NESTJET_API_KEY;
  if (!existsSync(LOCAL_API_KEY_FILE)) throw new Error(`no API key: set NESTJET_API_KEY or run npm start once (it writes ${LOCAL_API_KEY_FILE})`);
  return readFileSync(LOCAL_API_KEY_FILE, 'utf8').trim();
}
