import { AppProcess, DIST, type EventLine } from '#test-support';
import { join } from 'node:path';
import { watchRss } from './rss-watch.js';

export interface Drain {
  /** Messages per second, from its first handler call to its last (see DrainClock). */
  rate: number;
  /** Highest VmRSS seen while it drained (sampled every 100 ms and at the end by the process itself), MiB. */
  rssMiB: number;
  done: EventLine;
}

/**
 * Runs one bench worker (bench/<file>) to completion in a fresh process: every
 * side of a consumer comparison pays its own start-up and JIT warm-up the same way.
 * The worker prints `{"event":"bench.done","rate","rssMiB"}` when it has drained.
 */
export async function drainIn(file: string, env: Record<string, string>, timeoutMs = 300_000): Promise<Drain> {
  const app = await AppProcess.start(file, join(DIST, 'bench', file), env);
  const rss = watchRss(app.pid);
  let peak = 0;
  try {
    await app.waitForExit(timeoutMs);
  } catch (err) {
    await app.stop();
    throw err;
  } finally {
    peak = rss.stop();
  }
  const done = app.events('bench.done')[0];
  if (!done) throw new Error(`${file} did not finish:\n${app.tail()}`);
  return { rate: Number(done.rate), rssMiB: Math.max(peak, Number(done.rssMiB)), done };
}
