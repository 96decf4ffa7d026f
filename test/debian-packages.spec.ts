import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '#test-support';

// The list lives with the scripts (plain .mjs, outside dist/); the test loads that very module.
const { SCRIPT_PACKAGES, COMMAND_PACKAGES, INDIRECT_PACKAGES, BASE_PACKAGES } = (await import(pathToFileURL(join(ROOT, 'scripts', 'lib', 'debian-packages.mjs')).href)) as {
  SCRIPT_PACKAGES: Record<string, string[]>;
  COMMAND_PACKAGES: Record<string, string | null>;
  INDIRECT_PACKAGES: Record<string, string[]>;
  BASE_PACKAGES: string[];
};

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

function filesUnder(dir: string, keep: (name: string) => boolean): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && keep(e.name))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

const testSources = filesUnder('test', (n) => n.endsWith('.ts'));
const specsEnding = (suffix: string) => [...filesUnder('libs', (n) => n.endsWith(suffix)), ...filesUnder('apps', (n) => n.endsWith(suffix)), ...testSources.filter((f) => f.endsWith(suffix))];

/** The test files each script runs besides its scripts/ modules (loaded by path or through jest). */
const RUNS: Record<string, string[]> = {
  test: [...specsEnding('.spec.ts'), ...testSources],
  'test:unit': specsEnding('.spec.ts'),
  'test:integration': testSources.filter((f) => f.endsWith('.int-spec.ts')),
  'test:e2e': testSources.filter((f) => f.endsWith('.e2e-spec.ts')),
  'test:fuzz': testSources.filter((f) => readFileSync(join(ROOT, f), 'utf8').includes('propertyRuns(')),
  faults: ['test/faults/fault-scenarios.ts', 'test/faults/fault-run.ts'],
  soak: ['test/soak/soak.main.ts'],
  contract: ['test/openapi-contract.e2e-spec.ts'],
  'test:cluster': testSources.filter((f) => f.endsWith('.cluster-spec.ts')),
  bench: filesUnder('bench', (n) => n.endsWith('.ts')),
};

/** Which test/support module defines each name the support index exports. */
const supportExports = new Map<string, string>();
for (const file of filesUnder('test/support', (n) => n.endsWith('.ts') && !n.endsWith('.spec.ts'))) {
  for (const m of readFileSync(join(ROOT, file), 'utf8').matchAll(/^export (?:async )?(?:function|const|class|let|interface|type|enum) (\w+)/gm)) supportExports.set(m[1]!, file);
}

/** `file` and every local module it loads: relative imports, and the support modules behind the names taken from '#test-support'. */
function closure(entries: string[]): Set<string> {
  const seen = new Set<string>();
  const stack = [...entries];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file) || !existsSync(join(ROOT, file))) continue;
    seen.add(file);
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const m of text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)) {
      const target = relative(ROOT, resolve(ROOT, dirname(file), m[1]!));
      stack.push(target.endsWith('.js') && !file.endsWith('.mjs') ? target.replace(/\.js$/, '.ts') : target);
    }
    for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'#test-support'/g)) {
      for (const name of m[1]!.split(',').map((n) => n.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0]!)) {
        const source = supportExports.get(name);
        if (source) stack.push(source);
      }
    }
  }
  return seen;
}

/** Commands a file runs: named in spawn/exec/run calls, the cluster's netns helpers, `which(...)`. */
function commands(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const found = [
    ...text.matchAll(/\b(?:spawnSync|spawn|execFileSync|execFile|run|sh|nodeExec|inNode|which)\(\s*'([\w.+-]+)'/g),
    ...text.matchAll(/\bstartProcess\(\s*[^,]+,\s*'([\w.+-]+)'/g),
  ].map((m) => m[1]!);
  return [...new Set(found)];
}

function entryOf(script: string): string | undefined {
  return /^node (scripts\/[\w.-]+\.mjs)/.exec(pkg.scripts[script] ?? '')?.[1];
}

const scripts = Object.keys(pkg.scripts).filter((s) => entryOf(s) !== undefined);

describe('Debian packages of the documented scripts (scripts/lib/debian-packages.mjs)', () => {
  it('lists packages only for npm scripts that exist', () => {
    expect(Object.keys(SCRIPT_PACKAGES).filter((s) => !(s in pkg.scripts))).toEqual([]);
  });

  it.each(scripts)('%s: every command it and the code it loads run comes from a package in its list', (script) => {
    const files = closure([entryOf(script)!, ...(RUNS[script] ?? [])]);
    const missing: string[] = [];
    for (const file of files) {
      for (const command of commands(file)) {
        if (!(command in COMMAND_PACKAGES)) {
          missing.push(`${file} runs "${command}", which COMMAND_PACKAGES does not name a package for`);
          continue;
        }
        const needed = COMMAND_PACKAGES[command];
        if (needed && !BASE_PACKAGES.includes(needed) && !(SCRIPT_PACKAGES[script] ?? []).includes(needed)) missing.push(`${file} runs "${command}" (Debian package ${needed})`);
      }
    }
    for (const needed of INDIRECT_PACKAGES[script] ?? []) {
      if (!(SCRIPT_PACKAGES[script] ?? []).includes(needed)) missing.push(`indirectly needs ${needed}`);
    }
    expect(missing).toEqual([]);
  });

  it.each(scripts.filter((s) => (SCRIPT_PACKAGES[s] ?? []).length > 0))('%s installs its packages before it runs anything', (script) => {
    const text = [...closure([entryOf(script)!])].map((f) => readFileSync(join(ROOT, f), 'utf8')).join('\n');
    expect(text).toMatch(/ensureScriptPackages\(/);
  });
});
