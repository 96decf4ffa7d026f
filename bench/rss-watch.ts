import { rssMiB } from '#test-support';

/** Samples a process's VmRSS every `everyMs` until stopped; `stop()` gives the highest seen (0 if none). */
export function watchRss(pid: number, everyMs = 100): { stop(): number } {
  let peak = 0;
  const timer = setInterval(() => void rssMiB(pid).then((r) => (peak = Math.max(peak, r)), () => undefined), everyMs);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}
