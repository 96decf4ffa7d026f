// `npm run schemas -- check|publish`: published payload schemas (libs/contracts/schemas) against the DTOs.
import { join } from 'node:path';
import { build } from './lib/build.mjs';
import { ROOT } from './lib/run.mjs';

build();
process.chdir(ROOT);
await import(join(ROOT, 'dist', 'apps', 'producer', 'src', 'schemas-cli.js'));
