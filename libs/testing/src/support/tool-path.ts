import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root, found from the compiled file's location (dist/libs/testing/src/support → root). */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', '..');

/** A pinned tool from .tools/bin (`npm run tools`), else the same name on PATH. */
export function toolPath(name: string): string {
  const pinned = join(ROOT, '.tools', 'bin', name);
  return existsSync(pinned) ? pinned : name;
}
