import 'reflect-metadata';
import { exitOnConfigurationError, validateEnvironment } from '#jetstream';
import { cpus, loadavg } from 'node:os';
import { report, verdict } from './soak-report.js';
import { runSoak } from './soak-run.js';
import { SoakEnvironment } from './soak.environment.js';

/** `npm run soak`: the long run; prints the samples, the growth table, the counts and the verdict; exit 1 on failure. */
const env = exitOnConfigurationError(() => validateEnvironment(SoakEnvironment));
const log = (line: string) => process.stderr.write(`[soak] ${line}\n`);
log(`${env.SOAK_MESSAGES} messages at ${env.SOAK_RATE}/s (≈ ${Math.round(env.SOAK_MESSAGES / env.SOAK_RATE / 60)} min); ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const result = await runSoak(
  {
    messages: env.SOAK_MESSAGES,
    rate: env.SOAK_RATE,
    sampleMs: env.SOAK_SAMPLE_MS,
    warmUpFraction: env.SOAK_WARMUP_FRACTION,
    windowFraction: env.SOAK_WINDOW_FRACTION,
    maxGrowth: env.SOAK_MAX_GROWTH,
    highEvery: 10,
    drainTimeoutMs: 120_000,
  },
  log,
);
const judged = ['rssMiB', 'eventLoopP99Ms'] as const;
process.stdout.write(`\n${report(result, [...judged])}\nload average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
process.exit(verdict(result, [...judged]).ok ? 0 : 1);
