// `npm run build`: compile everything into dist/.
import { build } from './lib/build.mjs';
import { ensureNodeModules } from './lib/deps.mjs';

ensureNodeModules();
build();
