/** A parsed Prometheus text scrape: samples by metric name. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export async function scrape(url: string): Promise<Sample[]> {
  const r = await fetch(`${url}/metrics`);
  if (!r.ok) throw new Error(`GET ${url}/metrics: ${r.status}`);
  expectTextFormat(r.headers.get('content-type'));
  return parseExposition(await r.text());
}

function expectTextFormat(type: string | null): void {
  if (!type?.startsWith('text/plain')) throw new Error(`unexpected /metrics content-type ${type}`);
}

export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** Sum of the samples of `name` whose labels include `match`. */
export function total(samples: Sample[], name: string, match: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/** Metric names a PromQL expression or dashboard refers to (nestjet_* and nodejs_*), without histogram suffixes. */
export function metricNamesIn(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/\b((?:nestjet|nodejs|process)_[a-z0-9_]+)/g)) names.add(m[1]!.replace(/_(bucket|sum|count)$/, ''));
  return names;
}
