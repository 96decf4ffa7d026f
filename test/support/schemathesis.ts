import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths.js';

/** The venv scripts/lib/python-tools.mjs installs schemathesis into (npm test and npm run contract do it first). */
const PYTHON = join(ROOT, '.tools', 'venv-schemathesis', 'bin', 'python');
export const SCHEMATHESIS_CONFIG = join(ROOT, 'test', 'contract', 'schemathesis.toml');

export interface SchemathesisRun {
  code: number | null;
  /** Everything schemathesis printed: the failures with a curl line each, and the summary. */
  output: string;
}

/**
 * `schemathesis run <url>/docs/openapi.json --checks all` with `args` added,
 * as TEST_API_KEY's bearer (given as `apiKey`), under test/contract/schemathesis.toml and its hooks.
 */
export function runSchemathesis(url: string, apiKey: string, args: string[]): Promise<SchemathesisRun> {
  if (!existsSync(PYTHON)) throw new Error(`schemathesis is not installed at ${PYTHON}: run through npm test or npm run contract, which install it`);
  return new Promise((resolve, reject) => {
    const child = spawn(
      PYTHON,
      ['-m', 'schemathesis.cli', '--no-color', '--config-file', SCHEMATHESIS_CONFIG, 'run', `${url}/docs/openapi.json`, '--checks', 'all', '--header', `Authorization: Bearer ${apiKey}`, ...args],
      // Its reports (none asked for) and Hypothesis' example database stay out of the checkout.
      { cwd: join(ROOT, 'dist'), env: { ...process.env, NO_COLOR: '1', COLUMNS: '120', PYTHONPATH: join(ROOT, 'test', 'contract') }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** The "Test cases: N generated, …" line of a run's summary. */
export function casesLine(output: string): string {
  return output.match(/^\s*\d+ generated.*$/m)?.[0]?.trim() ?? '(no summary)';
}
