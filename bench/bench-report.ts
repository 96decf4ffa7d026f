import { cpus } from 'node:os';
import { execFileSync } from 'node:child_process';
import { toolPath } from '#test-support';

/** Machine and versions, printed above every benchmark table. */
export function environment(): string {
  const natsVersion = execFileSync(toolPath('nats-server'), ['--version']).toString().trim();
  return `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${natsVersion}`;
}

export function table(headers: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** One comparison, nestjet / baseline, with the figures behind it. */
export interface BenchResult {
  name: string;
  /** What is divided by what, for the summary table. */
  compares: string;
  ratio: number;
  /** The bar, if there is one. */
  target?: number;
  [figure: string]: unknown;
}

/** The machine-readable line `npm run bench` collects per runtime (scripts/lib/bench-summary.mjs). */
export function emitResult(result: BenchResult): void {
  process.stdout.write(`${JSON.stringify({ event: 'bench.result', ...result })}\n`);
}
