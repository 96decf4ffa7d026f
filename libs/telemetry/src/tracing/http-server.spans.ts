import { propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import { tracer } from './tracer.js';

/** What the server knows about a request when it arrives. */
export interface ServerRequestFacts {
  method: string;
  /** The matched route template (`/v1/topics/:topic/messages`), absent for an unknown path. */
  route: string | undefined;
  path: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A request's SERVER span and the context its children (the publish) start from. */
export interface ServerSpan {
  span: Span;
  ctx: Context;
}

/**
 * `<METHOD> <route>` (SERVER), a child of the caller's `traceparent`. Its
 * context is handed down explicitly, never made active: entering a context per
 * request turns on AsyncLocalStorage's promise hooks for every promise in the
 * process, and with the HTTP and Fastify instrumentations that cost a third of
 * the ingress's throughput even with sampling off (BENCHMARKS.md).
 */
export function startServerSpan(r: ServerRequestFacts): ServerSpan {
  const parent = propagation.extract(ROOT_CONTEXT, r.headers);
  const span = tracer().startSpan(
    r.route ? `${r.method} ${r.route}` : r.method,
    {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': r.method, 'url.path': r.path, ...(r.route ? { 'http.route': r.route } : {}) },
    },
    parent,
  );
  return { span, ctx: trace.setSpan(parent, span) };
}

/** Records the answer and ends the span; a 5xx marks it failed (a 4xx is the client's error, not the server's). */
export function endServerSpan({ span }: ServerSpan, statusCode: number): void {
  if (span.isRecording()) {
    span.setAttribute('http.response.status_code', statusCode);
    if (statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}
