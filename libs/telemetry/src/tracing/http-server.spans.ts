import { propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type TimeInput } from '@opentelemetry/api';
import { tracer } from './tracer.js';

/** What the server knows about a request when it arrives. */
export interface ServerRequestFacts {
  method: string;
  /** The matched route template (`/v1/topics/:topic/messages`), absent for an unknown path. */
  route: string | undefined;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /**
   * Whether the caller may continue its own trace (`traceparent`,
   * `tracestate`): only one the server trusts (an authenticated caller), or
   * anyone could hang spans into traces operators read. Otherwise the span is
   * a new root and the caller's context is dropped, not even linked.
   */
  trustedCaller: boolean;
  /** When the request arrived, if earlier than now (the span starts once the caller is known). */
  startTime?: TimeInput;
}

/** A request's SERVER span and the context its children (the publish) start from. */
export interface ServerSpan {
  span: Span;
  ctx: Context;
}

/**
 * `<METHOD> <route>` (SERVER), a child of a trusted caller's `traceparent`. Its
 * context is handed down explicitly, never made active: entering a context per
 * request turns on AsyncLocalStorage's promise hooks for every promise in the
 * process, and with the HTTP and Fastify instrumentations that cost a third of
 * the ingress's throughput even with sampling off (BENCHMARKS.md).
 */
export function startServerSpan(r: ServerRequestFacts): ServerSpan {
  const parent = r.trustedCaller ? propagation.extract(ROOT_CONTEXT, r.headers) : ROOT_CONTEXT;
  const dropped = !r.trustedCaller && r.headers.traceparent !== undefined;
  const span = tracer().startSpan(
    r.route ? `${r.method} ${r.route}` : r.method,
    {
      kind: SpanKind.SERVER,
      startTime: r.startTime,
      attributes: {
        'http.request.method': r.method,
        'url.path': r.path,
        ...(r.route ? { 'http.route': r.route } : {}),
        // Says why the trace did not continue, without keeping the untrusted value.
        ...(dropped ? { 'nestjet.traceparent_dropped': true } : {}),
      },
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
