// What `npm run bench` makes of its benches' output: every bench prints one JSON
// line per comparison ({"event":"bench.result","name",...,"ratio"}); these are
// collected per runtime and summed up as one table and the RATIO lines.

/** The comparisons the issue's bar is read from, in the order the RATIO lines are printed (nestjet / baseline). */
export const RATIO_NAMES = ['ingress', 'consumer', 'consumer-defaults', 'tracing-ingress', 'tracing-consumer', 'peer-consumer'];

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
  const names = [...new Set(runs.flatMap((r) => r.results.map((x) => x.name)))];
  const ratioOf = (run, name) => run.results.find((x) => x.name === name)?.ratio;
  const lowest = (name) => {
    const ratios = runs.map((r) => ratioOf(r, name)).filter((x) => typeof x === 'number' && Number.isFinite(x));
    return ratios.length === runs.length ? Math.min(...ratios) : undefined;
  };
  const rows = names.map((name) => {
    const any = runs.flatMap((r) => r.results).find((x) => x.name === name);
    const low = lowest(name);
    const cells = runs.map((r) => ratioOf(r, name)?.toFixed(2) ?? 'missing');
    const verdict = low === undefined || any.target === undefined ? '–' : low >= any.target ? 'met' : 'not met';
    const ceilings = runs.map((r) => r.results.find((x) => x.name === name)?.ceiling).filter((x) => typeof x === 'number');
    const ceiling = ceilings.length > 0 ? Math.min(...ceilings).toFixed(2) : '–';
    return `| ${name} | ${any.compares ?? ''} | ${cells.join(' | ')} | ${low?.toFixed(2) ?? 'missing'} | ${any.target === undefined ? '–' : `≥ ${any.target}`} | ${ceiling} | ${verdict} |`;
  });
  const table = [
    `| comparison | nestjet / baseline | ${runs.map((r) => r.label).join(' | ')} | lowest | target | ceiling | verdict |`,
    `| --- | --- | ${runs.map(() => '---').join(' | ')} | --- | --- | --- | --- |`,
    ...rows,
  ].join('\n');
  const ratioLines = RATIO_NAMES.filter((n) => names.includes(n)).map((n) => `RATIO ${n} ${lowest(n)?.toFixed(2) ?? 'missing'}`);
  return { table, ratioLines };
}
