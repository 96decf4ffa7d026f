/** A span as the console's trace view draws it. */
export interface SpanView {
  spanId: string;
  parentSpanId: string | null;
  service: string;
  name: string;
  kind: string;
  /** Microseconds after the trace's first span started. */
  startUs: number;
  durationUs: number;
  error: boolean;
  attributes: Record<string, string | number | boolean>;
}

export interface TraceView {
  traceId: string;
  jaegerUrl?: string;
  spans: SpanView[];
}

/** The parts of Jaeger's query API answer (`GET /api/traces/{id}`) read here. */
export interface JaegerTrace {
  traceID: string;
  spans: {
    spanID: string;
    operationName: string;
    references?: { refType: string; spanID: string }[];
    startTime: number;
    duration: number;
    tags?: { key: string; value: unknown }[];
    processID: string;
  }[];
  processes: Record<string, { serviceName: string }>;
}

const scalar = (v: unknown): v is string | number | boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** Jaeger's trace as spans in start order, times relative to the first. */
export function toTraceView(trace: JaegerTrace): TraceView {
  const start = Math.min(...trace.spans.map((s) => s.startTime));
  const spans = trace.spans.map((s): SpanView => {
    const attributes: Record<string, string | number | boolean> = {};
    for (const t of s.tags ?? []) if (scalar(t.value)) attributes[t.key] = t.value;
    const kind = attributes['span.kind'];
    return {
      spanId: s.spanID,
      parentSpanId: s.references?.find((r) => r.refType === 'CHILD_OF')?.spanID ?? null,
      service: trace.processes[s.processID]?.serviceName ?? 'unknown',
      name: s.operationName,
      kind: typeof kind === 'string' ? kind : 'internal',
      startUs: s.startTime - start,
      durationUs: s.duration,
      error: attributes.error === true || attributes['otel.status_code'] === 'ERROR',
      attributes,
    };
  });
  spans.sort((a, b) => a.startUs - b.startUs);
  return { traceId: trace.traceID, spans };
}
