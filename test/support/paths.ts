import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root, found from the compiled file's location (dist/test/support → root). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const DIST = join(ROOT, 'dist');
