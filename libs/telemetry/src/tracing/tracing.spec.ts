import { afterEach, describe, expect, it } from '@jest/globals';
import { metrics, ProxyTracerProvider, trace } from '@opentelemetry/api';
import { shutdownTracing, startTracing } from './tracing.js';

describe('startTracing', () => {
  const saved = { ...process.env };

  afterEach(async () => {
    await shutdownTracing();
    trace.disable();
    metrics.disable();
    process.env = { ...saved };
  });

  it('registers a tracer provider and no OpenTelemetry metrics or log export', () => {
    // Nothing listens here: no span is ended, so nothing is exported.
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = 'http://127.0.0.1:9';
    delete process.env.OTEL_METRICS_EXPORTER;
    delete process.env.OTEL_LOGS_EXPORTER;

    expect(startTracing('tracing-spec')).toBe(true);

    expect((trace.getTracerProvider() as ProxyTracerProvider).getDelegate().constructor.name).not.toBe('NoopTracerProvider');
    // The SDK's default for an unset OTEL_METRICS_EXPORTER is an OTLP exporter posting to the trace collector every minute.
    expect(metrics.getMeterProvider().constructor.name).toBe('NoopMeterProvider');
  });

  it('starts nothing without an OTLP endpoint', () => {
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    delete process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;

    expect(startTracing('tracing-spec')).toBe(false);
    expect(metrics.getMeterProvider().constructor.name).toBe('NoopMeterProvider');
  });
});
