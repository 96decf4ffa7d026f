/** One observation of a series: when (ms since the run started) and what. */
export interface Point {
  atMs: number;
  value: number;
}

export interface GrowthOptions {
  /** Share of the run (by time) left out before comparing: JIT, heap sizing and connection pools settle there. */
  warmUpFraction: number;
  /** Share of the run each compared window covers. */
  windowFraction: number;
  /** Largest accepted rise of the last window over the first, e.g. 0.1 for +10 %. */
  maxGrowth: number;
}

export interface Growth {
  /** Median of the first window after warm-up. */
  first: number;
  /** Median of the last window. */
  last: number;
  /** last / first − 1. */
  growth: number;
  /** Least-squares slope over every point after warm-up, as a share of their mean per whole post-warm-up span (trend, reported). */
  trend: number;
  /** Points in each compared window. */
  windowPoints: number;
  ok: boolean;
}

export function median(xs: number[]): number {
  if (xs.length === 0) throw new Error('median of nothing');
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Least-squares slope of value over time (value units per ms). */
export function slope(points: Point[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mt = points.reduce((s, p) => s + p.atMs, 0) / n;
  const mv = points.reduce((s, p) => s + p.value, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.atMs - mt) * (p.value - mv);
    den += (p.atMs - mt) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/**
 * Compares the last window of a run with the first window after warm-up,
 * by medians, so one sample disturbed by another process on the machine does
 * not decide the verdict; a leak moves the whole window.
 */
export function growthAfterWarmUp(points: Point[], o: GrowthOptions): Growth {
  if (points.length === 0) throw new Error('no samples');
  const start = points[0]!.atMs;
  const span = points[points.length - 1]!.atMs - start;
  const settled = points.filter((p) => p.atMs - start >= span * o.warmUpFraction);
  const windowPoints = Math.max(1, Math.ceil((settled.length * o.windowFraction) / (1 - o.warmUpFraction)));
  if (settled.length < 2 * windowPoints) throw new Error(`too few samples after warm-up (${settled.length}) for two windows of ${windowPoints}`);
  const first = median(settled.slice(0, windowPoints).map((p) => p.value));
  const last = median(settled.slice(-windowPoints).map((p) => p.value));
  const growth = first === 0 ? (last === 0 ? 0 : Infinity) : last / first - 1;
  const mean = settled.reduce((s, p) => s + p.value, 0) / settled.length;
  const settledSpan = settled[settled.length - 1]!.atMs - settled[0]!.atMs;
  const trend = mean === 0 ? 0 : (slope(settled) * settledSpan) / mean;
  return { first, last, growth, trend, windowPoints, ok: growth <= o.maxGrowth };
}
