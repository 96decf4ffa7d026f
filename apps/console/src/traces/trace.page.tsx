import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError, seg } from '../api/api.client';
import type { SpanView, TraceView } from '../api/api.types';
import { fmtInt, fmtMicros } from '../shared/format';
import { Empty, ErrorNote, Loading } from '../shared/status';

const TRACE_ID = /^[0-9a-f]{32}$/i;

/** Only plain web links: the URL comes from server configuration, but a `javascript:` link must never render. */
function safeUrl(url: string | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url, location.href);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

interface Row {
  span: SpanView;
  depth: number;
}

/** Spans in tree order (each parent before its children, siblings by start time), with their depth. */
function treeOrder(spans: SpanView[]): Row[] {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string | null, SpanView[]>();
  for (const s of spans) {
    const parent = s.parentSpanId && ids.has(s.parentSpanId) ? s.parentSpanId : null;
    const list = children.get(parent) ?? [];
    list.push(s);
    children.set(parent, list);
  }
  for (const list of children.values()) list.sort((a, b) => a.startUs - b.startUs);
  const rows: Row[] = [];
  const seen = new Set<string>();
  const walk = (parent: string | null, depth: number) => {
    for (const s of children.get(parent) ?? []) {
      if (seen.has(s.spanId)) continue;
      seen.add(s.spanId);
      rows.push({ span: s, depth });
      walk(s.spanId, depth + 1);
    }
  };
  walk(null, 0);
  return rows;
}

export function TracePage({ traceId }: { traceId: string }) {
  useEffect(() => void (document.title = `Trace ${traceId} · nestjet console`), [traceId]);
  const valid = TRACE_ID.test(traceId);
  const [trace, setTrace] = useState<TraceView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (!valid) return;
    const controller = new AbortController();
    setError(null);
    api.get<TraceView>(`/v1/ops/traces/${seg(traceId)}`, undefined, controller.signal).then(setTrace, (e: unknown) => {
      if (!(e instanceof DOMException && e.name === 'AbortError')) setError(e);
    });
    return () => controller.abort();
  }, [traceId, attempt, valid]);

  const rows = useMemo(() => (trace ? treeOrder(trace.spans) : []), [trace]);
  const totalUs = useMemo(() => Math.max(1, ...(trace?.spans ?? []).map((s) => s.startUs + s.durationUs)), [trace]);
  const services = useMemo(() => [...new Set((trace?.spans ?? []).map((s) => s.service))], [trace]);
  const jaeger = safeUrl(trace?.jaegerUrl);
  const retry = () => setAttempt((a) => a + 1);

  return (
    <section class="page">
      <div class="page-head">
        <h1 class="break">Trace {traceId}</h1>
        {jaeger && (
          <a href={jaeger} target="_blank" rel="noopener noreferrer">
            Open in Jaeger
          </a>
        )}
      </div>
      {!valid && <Empty>A trace id is 32 hexadecimal characters; this one is not.</Empty>}
      {error != null &&
        (error instanceof ApiError && error.status === 404 ? (
          <div class="state state-empty">
            <p>Jaeger has no trace {traceId} (yet: spans arrive a few seconds after the work).</p>
            <button type="button" onClick={retry}>
              Try again
            </button>
          </div>
        ) : error instanceof ApiError && error.status === 503 ? (
          <Empty>Trace lookup is not configured on this producer (JAEGER_QUERY_URL is not set).</Empty>
        ) : (
          <ErrorNote error={error} retry={retry} />
        ))}
      {valid && !trace && error == null && <Loading what="the trace" />}
      {trace && trace.spans.length === 0 && <Empty>The trace has no spans.</Empty>}
      {trace && trace.spans.length > 0 && (
        <>
          <p class="muted">
            {fmtInt(trace.spans.length)} spans across {services.join(', ')} · {fmtMicros(totalUs)} end to end
          </p>
          <ol class="spans" aria-label="Spans">
            {rows.map(({ span, depth }) => (
              <li key={span.spanId} class={span.error ? 'span error-span' : 'span'}>
                <div class="span-label" style={{ paddingInlineStart: `${Math.min(depth, 8) * 0.9}rem` }}>
                  <span class="service">{span.service}</span> <span class="span-name">{span.name}</span>{' '}
                  <span class="duration">{fmtMicros(span.durationUs)}</span>
                  {span.error && <span class="badge bad">error</span>}
                </div>
                <div class="span-track" aria-hidden="true">
                  <div
                    class="span-bar"
                    style={{
                      left: `${(span.startUs / totalUs) * 100}%`,
                      width: `${Math.max(0.4, (span.durationUs / totalUs) * 100)}%`,
                    }}
                  />
                </div>
                <details>
                  <summary>
                    Details<span class="visually-hidden"> of {span.name}</span>
                  </summary>
                  <dl class="attrs">
                    <div>
                      <dt>Kind</dt>
                      <dd>{span.kind}</dd>
                    </div>
                    <div>
                      <dt>Starts at</dt>
                      <dd>+{fmtMicros(span.startUs)}</dd>
                    </div>
                    {Object.entries(span.attributes).map(([k, v]) => (
                      <div key={k}>
                        <dt class="mono">{k}</dt>
                        <dd class="mono wrap">{typeof v === 'string' ? v : JSON.stringify(v)}</dd>
                      </div>
                    ))}
                  </dl>
                </details>
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
