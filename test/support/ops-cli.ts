import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TEST_API_KEY } from './api-keys.js';
import { DIST } from './paths.js';

/** Runs `npm run ops -- <args>` (the built CLI) against a producer with an API key; its exit code and output. */
export function runOpsCli(producerUrl: string, args: string[], key = TEST_API_KEY.key): Promise<{ code: number; out: string }> {
  return promisify(execFile)(process.execPath, [join(DIST, 'apps', 'producer', 'src', 'ops-cli.js'), ...args], {
    env: { PATH: process.env.PATH ?? '', PRODUCER_URL: producerUrl, NESTJET_API_KEY: key },
  }).then(
    ({ stdout }) => ({ code: 0, out: stdout }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, out: `${err.stdout}${err.stderr}` }),
  );
}
