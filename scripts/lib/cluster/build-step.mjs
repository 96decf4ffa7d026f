// The two steps every image source is made with: a command that must succeed, and a
// directory made once and reused.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';

/** Runs a command to completion; throws with the tail of its output when it fails. Returns its stdout. */
export function sh(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (r.error) throw new Error(`${cmd} could not start: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}: ${(r.stderr || r.stdout || '').trim().slice(-2000)}`);
  return r.stdout;
}

/** Builds `dir` with `make(partial)` unless it exists; a half-made one from an interrupted run is discarded. */
export function once(dir, make) {
  if (existsSync(dir)) return dir;
  const partial = `${dir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  make(partial);
  renameSync(partial, dir);
  return dir;
}
