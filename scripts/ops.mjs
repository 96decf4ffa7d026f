// `npm run ops -- …`: consumer operations through the producer's operations API. Against the
// local stack (`npm start`) it uses the local API key unless NESTJET_API_KEY is set.
import { join } from 'node:path';
import { localApiKey } from './lib/local-api-key.mjs';
import { ROOT } from './lib/run.mjs';

if (!process.env.NESTJET_API_KEY) {
  try {
    process.env.NESTJET_API_KEY = localApiKey();
  } catch {
    // No local key either: the CLI says what to set.
  }
}
await import(join(ROOT, 'dist', 'apps', 'producer', 'src', 'ops-cli.js'));
