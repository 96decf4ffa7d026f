import { readFile } from 'node:fs/promises';

/** Resident set size of a process from /proc/<pid>/status (VmRSS), MiB: what the kernel charges it, unlike V8's heap figures. */
export async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!kb) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb[1]) / 1024;
}
