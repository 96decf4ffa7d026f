// `npm run tools [-- name ...]`: build the pinned infrastructure tools into .tools/bin
// (the default set; name cluster tools to build them too).
import { DEFAULT_TOOLS, ensureTools, TOOLS } from './lib/tools.mjs';

const names = process.argv.slice(2);
const unknown = names.filter((n) => !(n in TOOLS));
if (unknown.length > 0) {
  process.stderr.write(`unknown tool(s): ${unknown.join(', ')}; known: ${Object.keys(TOOLS).join(', ')}\n`);
  process.exit(64);
}
const paths = ensureTools(names.length > 0 ? names : DEFAULT_TOOLS);
for (const [name, path] of Object.entries(paths)) process.stdout.write(`${name.padEnd(12)} ${path}\n`);
