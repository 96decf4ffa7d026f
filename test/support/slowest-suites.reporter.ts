import { relative } from 'node:path';
import type { AggregatedResult, TestResult } from '@jest/test-result';

const SHOWN = 10;

/** The slowest suites of a run, slowest first, with their share of the summed suite time. */
export function slowestSuites(results: readonly Pick<TestResult, 'testFilePath' | 'perfStats'>[], rootDir: string, shown = SHOWN): string[] {
  const timed = results.map((r) => ({ path: relative(rootDir, r.testFilePath), seconds: (r.perfStats.end - r.perfStats.start) / 1000 }));
  const total = timed.reduce((sum, t) => sum + t.seconds, 0);
  return timed
    .sort((a, b) => b.seconds - a.seconds)
    .slice(0, shown)
    .map((t) => `${t.seconds.toFixed(1).padStart(7)} s ${total > 0 ? `${((100 * t.seconds) / total).toFixed(0).padStart(3)} %` : ''}  ${t.path}`);
}

/**
 * Jest reporter: after every run, the ten slowest suites and the run's wall
 * time, so a suite that grows is seen in the run that made it grow.
 */
export default class SlowestSuitesReporter {
  constructor(private readonly globalConfig: { rootDir: string }) {}

  onRunComplete(_contexts: unknown, aggregated: AggregatedResult): void {
    const wallSeconds = (Date.now() - aggregated.startTime) / 1000;
    const lines = slowestSuites(aggregated.testResults, this.globalConfig.rootDir);
    process.stdout.write(`\nSlowest suites (of ${aggregated.numTotalTestSuites}, ${wallSeconds.toFixed(0)} s wall):\n${lines.join('\n')}\n`);
  }
}
