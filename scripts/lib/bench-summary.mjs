// What `npm run bench` makes of its benches' output: every bench prints one JSON
// line per comparison ({"event":"bench.result","name",...,"ratio"}); these are
// collected per runtime and summed up as one table and the RATIO lines.

/**
 * The comparisons the bar is read from, in the order the RATIO lines are printed: nestjet / baseline,
 * except `rss-mb` (the largest resident set of an app under the bench loads, MiB: lower is better).
 */
export const RATIO_NAMES = [
  'consumer-defaults',
  'peer-consumer',
  'tracing-10-ingress',
  'tracing-10-consumer',
  'tracing-100-vs-ceiling',
  'ingress',
  'rss-mb',
];

/** The bench.result objects among a bench's output lines. */
export function resultsOf(lines) {
  const results = [];
  for (const line of lines) {
    if (!line.startsWith('{"event":"bench.result"')) continue;
    results.push(JSON.parse(line));
  }
  return results;
}

/**
 * runs: [{ label, results }] per runtime. A comparison's figure is the LOWER of the
 * runtimes' ratios: the bar has to hold on every runtime measured. A result's
 * `ceiling` (the highest ratio its measured unavoidable costs allow) is shown
 * beside it, the lowest of the runtimes'.
 */
export function summary(runs) {
  runs = runs.map((r) => ({ ...r, results: withLargestRss(r.results) }));
  const names = [...new Set(runs.flatMap((r) => r.results.map((x) => x.name)))];
  const ratioOf = (run, name) => run.results.find((x) => x.name === name)?.ratio;
  const lowerIsBetter = (name) => runs.some((r) => r.results.find((x) => x.name === name)?.lowerIsBetter === true);
  // The worst runtime's figure: the lowest ratio, or the highest of a figure where lower is better.
  const lowest = (name) => {
    const ratios = runs.map((r) => ratioOf(r, name)).filter((x) => typeof x === 'number' && Number.isFinite(x));
    if (ratios.length !== runs.length) return undefined;
    return lowerIsBetter(name) ? Math.max(...ratios) : Math.min(...ratios);
  };
  const rows = names.map((name) => {
    const any = runs.flatMap((r) => r.results).find((x) => x.name === name);
    const low = lowest(name);
    const cells = runs.map((r) => ratioOf(r, name)?.toFixed(2) ?? 'missing');
    const better = lowerIsBetter(name);
    const verdict = low === undefined || any.target === undefined ? '–' : (better ? low <= any.target : low >= any.target) ? 'met' : 'not met';
    const ceilings = runs.map((r) => r.results.find((x) => x.name === name)?.ceiling).filter((x) => typeof x === 'number');
    const ceiling = ceilings.length > 0 ? Math.min(...ceilings).toFixed(2) : '–';
    return `| ${name} | ${any.compares ?? ''} | ${cells.join(' | ')} | ${low?.toFixed(2) ?? 'missing'} | ${any.target === undefined ? '–' : `${better ? '≤' : '≥'} ${any.target}`} | ${ceiling} | ${verdict} |`;
  });
  const table = [
    `| comparison | nestjet / baseline | ${runs.map((r) => r.label).join(' | ')} | worst | target | ceiling | verdict |`,
    `| --- | --- | ${runs.map(() => '---').join(' | ')} | --- | --- | --- | --- |`,
    ...rows,
  ].join('\n');
  const ratioLines = RATIO_NAMES.filter((n) => names.includes(n)).map((n) => `RATIO ${n} ${lowest(n)?.toFixed(2) ?? 'missing'}`);
  return { table, ratioLines };
}

/** `rss-mb`: the largest of a runtime's `rss-*` figures (each app's RSS under its bench load). */
function withLargestRss(results) {
  const rss = results.filter((x) => x.name.startsWith('rss-'));
  if (rss.length === 0) return results;
  const largest = rss.reduce((a, b) => (b.ratio > a.ratio ? b : a));
  const rssMb = { name: 'rss-mb', compares: 'largest RSS of a nestjet app under the bench loads (the rss-* rows), MiB', ratio: largest.ratio, target: 150, lowerIsBetter: true };
  return [...results, rssMb];
}
