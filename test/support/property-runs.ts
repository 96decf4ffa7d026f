/**
 * The seed every property test runs with unless FC_SEED names another: a
 * failure in `npm test` reproduces from a fresh clone. Rotated on purpose (a
 * commit that changes it), never by the clock; `npm run test:fuzz` is the
 * run that tries new seeds.
 */
export const DEFAULT_FC_SEED = 20261208;

export interface PropertyRuns {
  seed: number;
  numRuns: number;
}

/**
 * fast-check parameters for a property with `runs` runs by default: FC_SEED
 * (an integer) replaces the seed, FC_RUNS_SCALE multiplies the runs. On
 * failure fast-check prints the seed and path, so `FC_SEED=<seed>` replays it.
 */
export function propertyRuns(runs: number, env: NodeJS.ProcessEnv = process.env): PropertyRuns {
  const seed = env.FC_SEED?.trim() ? Number(env.FC_SEED) : DEFAULT_FC_SEED;
  if (!Number.isSafeInteger(seed)) throw new Error(`FC_SEED=${env.FC_SEED}: expected an integer seed`);
  const scale = env.FC_RUNS_SCALE?.trim() ? Number(env.FC_RUNS_SCALE) : 1;
  if (!Number.isFinite(scale) || scale <= 0) throw new Error(`FC_RUNS_SCALE=${env.FC_RUNS_SCALE}: expected a positive number`);
  return { seed, numRuns: Math.max(1, Math.round(runs * scale)) };
}
