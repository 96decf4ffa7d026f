import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { log, ROOT, run, which } from './run.mjs';

/**
 * Python command-line tools pinned like the Go ones: tools/python/<name>.txt is
 * the full set of packages, every one with its version (pip freeze of a venv made
 * from <name>.in), installed into a venv of its own under .tools so nothing
 * global is touched. To move a pin: edit <name>.in, delete the venv, run
 * `pip install -r <name>.in` in a fresh venv and write its `pip freeze` to
 * <name>.txt.
 */
export const PYTHON_TOOLS = {
  schemathesis: { venv: 'venv-schemathesis', module: 'schemathesis.cli', minPython: [3, 10] },
};

const requirementsOf = (name) => join(ROOT, 'tools', 'python', `${name}.txt`);
export const venvOf = (name) => join(ROOT, '.tools', PYTHON_TOOLS[name].venv);
const stampOf = (name) => join(venvOf(name), '.nestjet-requirements.sha256');
const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

/**
 * How to run a Python tool once installed: the venv's python with `-m module`,
 * not the venv's console script, whose #! line names the path the venv was made
 * at (.tools may be shared by several checkouts).
 */
export const pythonToolCommand = (name) => ({ cmd: join(venvOf(name), 'bin', 'python'), args: ['-m', PYTHON_TOOLS[name].module] });

/** A python3 on PATH at least `min` (major, minor), or null. */
function python(min) {
  for (const cmd of ['python3', 'python']) {
    const path = which(cmd);
    if (!path) continue;
    try {
      const [major, minor] = execFileSync(path, ['-c', 'import sys; print(*sys.version_info[:2])'], { encoding: 'utf8' }).trim().split(' ').map(Number);
      if (major > min[0] || (major === min[0] && minor >= min[1])) return path;
    } catch {
      // not a working interpreter; try the next name
    }
  }
  return null;
}

/**
 * Installs the named Python tools into their venvs when missing or pinned
 * differently (the stamp is the hash of the requirements file). Returns
 * name → { cmd, args } to run it (see pythonToolCommand).
 */
export function ensurePythonTools(names) {
  const paths = {};
  for (const name of names) {
    const tool = PYTHON_TOOLS[name];
    const requirements = requirementsOf(name);
    const want = sha256(requirements);
    const { cmd: exe } = pythonToolCommand(name);
    const stamp = stampOf(name);
    if (existsSync(exe) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === want) {
      paths[name] = pythonToolCommand(name);
      continue;
    }
    const py = python(tool.minPython);
    if (!py) throw new Error(`${name} needs Python ≥ ${tool.minPython.join('.')} (python3 on PATH) to install into .tools/${tool.venv}`);
    log(`installing ${name} (tools/python/${name}.txt) into .tools/${tool.venv} (first time only)`);
    // --clear: a venv left by another pin or an interrupted install starts over.
    run(py, ['-m', 'venv', '--clear', venvOf(name)]);
    run(join(venvOf(name), 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '--require-virtualenv', '-r', requirements]);
    run(join(venvOf(name), 'bin', 'python'), ['-m', 'pip', 'check', '--disable-pip-version-check']);
    writeFileSync(stamp, `${want}\n`);
    paths[name] = pythonToolCommand(name);
  }
  return paths;
}
