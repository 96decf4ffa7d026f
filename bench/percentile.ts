/** Sorted ascending → the p-th percentile (0–100), nearest rank; NaN when empty. Its own module: the bench workers import it without the test support. */
export const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
