import type { Series, SoakResult, SoakSample } from './soak-run.js';

export interface Verdict {
  ok: boolean;
  problems: string[];
}

const LABEL: Record<Series, string> = { rssMiB: 'RSS MiB', heapUsedMiB: 'heap used MiB', eventLoopP99Ms: 'event-loop delay p99 ms' };

/** Failed counts and, for the `judged` series, growth above the bound. */
export function verdict(r: SoakResult, judged: Series[]): Verdict {
  const problems = [
    ...r.counts.filter((c) => !c.ok).map((c) => `${c.what}: ${c.actual}, expected ${c.expected}`),
    ...r.growth
      .filter((g) => judged.includes(g.series) && !g.ok)
      .map((g) => `${g.app} ${LABEL[g.series]} grew ${pct(g.growth)} (${g.first.toFixed(1)} → ${g.last.toFixed(1)}), bound +${pct(r.options.maxGrowth)}`),
  ];
  return { ok: problems.length === 0, problems };
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

function table(headers: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

/** CPU use of one process between two samples, % of one core. */
function cpuPercent(from: SoakSample, to: SoakSample, app: 'producer' | 'consumer'): string {
  const wall = (to.atMs - from.atMs) / 1000;
  return wall > 0 ? (((to[app].cpuSeconds - from[app].cpuSeconds) / wall) * 100).toFixed(0) : '–';
}

/** About `rows` samples spread evenly over the run, first and last included. */
export function downsample<T>(xs: T[], rows: number): T[] {
  if (xs.length <= rows) return xs;
  return Array.from({ length: rows }, (_, i) => xs[Math.round((i * (xs.length - 1)) / (rows - 1))]!);
}

/** The whole soak as Markdown: settings, samples (downsampled), growth per series, counts, verdict. */
export function report(r: SoakResult, judged: Series[], rows = 24): string {
  const o = r.options;
  const achieved = r.load.accepted / (r.load.elapsedMs / 1000);
  const sampleRow = (s: SoakSample) => {
    const before = r.samples[Math.max(0, r.samples.indexOf(s) - 1)]!;
    return [
      (s.atMs / 1000).toFixed(0),
      s.sent,
      s.backlog,
      cpuPercent(before, s, 'producer'),
      s.producer.rssMiB.toFixed(1),
      s.producer.heapUsedMiB.toFixed(1),
      s.producer.eventLoopP99Ms.toFixed(1),
      cpuPercent(before, s, 'consumer'),
      s.consumer.rssMiB.toFixed(1),
      s.consumer.heapUsedMiB.toFixed(1),
      s.consumer.eventLoopP99Ms.toFixed(1),
    ];
  };
  const first = r.samples[0]!;
  const end = r.samples[r.samples.length - 1]!;
  const v = verdict(r, judged);
  return [
    `### Soak: ${o.messages} messages at ${o.rate}/s`,
    '',
    `load ${(r.load.elapsedMs / 1000).toFixed(0)} s (achieved ${achieved.toFixed(0)} msg/s), drain after the last 202 ${(r.drainMs / 1000).toFixed(1)} s, ` +
      `${r.load.retries} client retries, ${r.load.failed} never accepted, samples every ${o.sampleMs / 1000} s (${r.samples.length}), ` +
      `warm-up ${pct(o.warmUpFraction)} of the run, windows of ${pct(o.windowFraction)} (medians); ` +
      `mean CPU (100 % = one core) producer ${cpuPercent(first, end, 'producer')} %, consumer ${cpuPercent(first, end, 'consumer')} %, backlog at most ${Math.max(...r.samples.map((s) => s.backlog))}`,
    '',
    table(
      ['t s', 'sent', 'backlog', 'prod CPU %', 'prod RSS MiB', 'prod heap MiB', 'prod ELD p99 ms', 'cons CPU %', 'cons RSS MiB', 'cons heap MiB', 'cons ELD p99 ms'],
      downsample(r.samples, rows).map(sampleRow),
    ),
    '',
    table(
      ['process', 'series', 'start', 'after warm-up', 'end', 'growth', 'trend (slope × span / mean)', 'judged'],
      r.growth.map((g) => [
        g.app,
        LABEL[g.series],
        r.samples[0]![g.app][g.series].toFixed(1),
        g.first.toFixed(1),
        g.last.toFixed(1),
        pct(g.growth),
        pct(g.trend),
        judged.includes(g.series) ? (g.ok ? 'ok' : '**FAIL**') : 'reported',
      ]),
    ),
    '',
    table(
      ['count', 'expected', 'actual', ''],
      r.counts.map((c) => [c.what, c.expected, c.actual, c.ok ? 'ok' : '**FAIL**']),
    ),
    ...(r.load.failures.length > 0 ? ['', 'failures:', ...r.load.failures.map((f) => `- ${f}`)] : []),
    '',
    v.ok ? `verdict: **PASS**` : `verdict: **FAIL**\n${v.problems.map((p) => `- ${p}`).join('\n')}`,
    '',
  ].join('\n');
}
