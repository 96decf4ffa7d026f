import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLUSTER, PATHS } from './layout.mjs';

const pidFile = (name) => join(PATHS.pids, `${name}.pid`);

export function pidOf(name) {
  if (!existsSync(pidFile(name))) return null;
  const pid = Number(readFileSync(pidFile(name), 'utf8'));
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

/**
 * Starts a cluster component in the background, detached from this process,
 * with its output in .data/cluster/logs/<name>.log. `netns` runs it in the
 * node's network namespace: `nsenter --net` keeps the host's mount namespace,
 * which the kubelet and containerd must share (`ip netns exec` would give each
 * a private one, and the kubelet's volume mounts would be invisible to runc).
 * Returns false when it was already running (a second `cluster:up` reuses it).
 */
export function startProcess(name, command, args, { netns = true, env = {} } = {}) {
  if (pidOf(name)) return false;
  mkdirSync(PATHS.logs, { recursive: true });
  mkdirSync(PATHS.pids, { recursive: true });
  const out = openSync(join(PATHS.logs, `${name}.log`), 'a');
  const [cmd, argv] = netns ? ['nsenter', [`--net=/run/netns/${CLUSTER.netns}`, '--', command, ...args]] : [command, args];
  const child = spawn(cmd, argv, { detached: true, stdio: ['ignore', out, out], env: { ...process.env, ...env } });
  writeFileSync(pidFile(name), String(child.pid));
  child.unref();
  return true;
}

/** SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProcess(name, graceMs = 10_000) {
  const pid = pidOf(name);
  if (pid) {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (pidOf(name) && Date.now() < deadline) await sleep(200);
    if (pidOf(name)) process.kill(pid, 'SIGKILL');
    while (pidOf(name)) await sleep(100);
  }
  rmSync(pidFile(name), { force: true });
}

/** Polls `check` (which returns a truthy value or throws) until it succeeds; the error names what and where to look. */
export async function waitUntil(what, check, { timeoutMs = 120_000, intervalMs = 500, logName } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const result = await check();
      if (result) return result;
    } catch (err) {
      last = err;
    }
    await sleep(intervalMs);
  }
  const where = logName ? ` (see ${join(PATHS.logs, `${logName}.log`)})` : '';
  throw new Error(`${what} not ready after ${timeoutMs / 1000} s${where}${last ? `: ${last.message}` : ''}`);
}
