import { ProxyTracerProvider, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import { TRACER_NAME } from './messaging.attributes.js';

export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/**
 * Whether a tracer provider is registered (an SDK was started). Without one
 * every span is a no-op, and building its attributes per message is waste
 * the consumer's profile showed.
 */
export function tracingActive(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegateTracer(TRACER_NAME) !== undefined;
}

/** Marks a span failed with the error, the way Jaeger shows errors. */
export function recordFailure(span: Span, err: unknown): void {
  const error = err instanceof Error ? err : new Error(String(err));
  span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
}
