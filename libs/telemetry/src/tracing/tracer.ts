import { SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import { TRACER_NAME } from './messaging.attributes.js';

export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/** Marks a span failed with the error, the way Jaeger shows errors. */
export function recordFailure(span: Span, err: unknown): void {
  const error = err instanceof Error ? err : new Error(String(err));
  span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
}
