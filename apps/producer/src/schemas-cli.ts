import 'reflect-metadata';
import { buildTopology } from '#contracts';
import { resolve } from 'node:path';
import { checkPublishedSchemas, publishSchemas } from './topics/published-schemas.js';

const USAGE = `usage: npm run schemas -- <check|publish> [--dir DIR]

  check     compare every declared payload version with its published schema; exit 1 on an incompatible change
  publish   write the schema of every version not yet published (never overwrites one)

DIR defaults to libs/contracts/schemas. A published version never changes incompatibly:
declare a new version (a DTO, version: n + 1, previousVersions) with an upcaster instead.`;

async function main(args: string[]): Promise<number> {
  const [command, flag, value] = args;
  const dir = resolve(flag === '--dir' && value ? value : 'libs/contracts/schemas');
  const topics = buildTopology().topics;
  if (command === 'publish') {
    const written = await publishSchemas(topics, dir);
    process.stdout.write(written.length > 0 ? `published:\n${written.map((f) => `  ${f}`).join('\n')}\n` : 'every version is published already\n');
    return 0;
  }
  if (command === 'check') {
    const { unpublished, breaking } = await checkPublishedSchemas(topics, dir);
    for (const v of unpublished) process.stdout.write(`unpublished: ${v} (run npm run schemas -- publish)\n`);
    for (const b of breaking) process.stdout.write(`INCOMPATIBLE: ${b}\n`);
    if (breaking.length > 0) process.stdout.write('A published version must not change like this: declare a new version with an upcaster.\n');
    else process.stdout.write('published versions: compatible\n');
    return breaking.length > 0 || unpublished.length > 0 ? 1 : 0;
  }
  process.stderr.write(`${USAGE}\n`);
  return 64;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`schemas: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
