import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { NodeSDK } from '@opentelemetry/sdk-node';

/**
 * The SDK, exporter and instrumentations load only when tracing is on: with it
 * off (the default) they were a third of each app's resident memory (~30 MiB
 * of the producer's 156 MiB under load). `require`, not `import()`: loading
 * stays synchronous, so the instrumentations still patch `http` and Fastify
 * before the app's modules load them.
 */
const requireWhenTracing = createRequire(import.meta.url);

let sdk: NodeSDK | undefined;

/** The package version, as the service reports it (spans, the operations view). */
export function serviceVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Tracing runs only when an OTLP endpoint is configured; otherwise the OpenTelemetry API stays a no-op. */
export function tracingConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) && env.OTEL_SDK_DISABLED !== 'true';
}

/**
 * Whether the configured sampler follows a remote parent's decision (the
 * OpenTelemetry default, `parentbased_always_on`, and every `parentbased_*`):
 * then a message whose `traceparent` says "not sampled" records nothing, and
 * the consumer can skip its span without asking the SDK.
 */
export function samplingFollowsParent(env: NodeJS.ProcessEnv = process.env): boolean {
  const sampler = env.OTEL_TRACES_SAMPLER?.trim() || 'parentbased_always_on';
  return sampler.startsWith('parentbased_');
}

/**
 * Starts the OpenTelemetry SDK (through an app's `instrumentation.ts`, first:
 * a library that records spans at load time finds the provider). Endpoint,
 * sampler and batching follow the standard OTEL_* variables.
 */
export function startTracing(defaultServiceName: string): boolean {
  if (sdk || !tracingConfigured()) return false;
  // W3C trace context only, unless the operator says otherwise: `baggage` from
  // clients at the edge would otherwise ride along into every message and span context.
  process.env.OTEL_PROPAGATORS ??= 'tracecontext';
  const { NodeSDK } = requireWhenTracing('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { OTLPTraceExporter } = requireWhenTracing('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto');
  const { resourceFromAttributes } = requireWhenTracing('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } = requireWhenTracing('@opentelemetry/semantic-conventions') as typeof import('@opentelemetry/semantic-conventions');
  activeContexts = traceContextMode() === 'active';
  sdk = new NodeSDK({
    // nestjet passes every span's context on explicitly. An active context (AsyncLocalStorage) is what log
    // lines and instrumentations inside handlers read, and it turns on async hooks for every promise in the
    // process; TRACE_CONTEXT=explicit runs without it (no trace ids in handlers' own log lines).
    // The SDK reads `null` as "register none" (its type does not say so).
    contextManager: activeContexts ? undefined : (null as unknown as undefined),
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: process.env.OTEL_SERVICE_NAME ?? defaultServiceName,
      [ATTR_SERVICE_VERSION]: serviceVersion(),
    }),
    traceExporter: new OTLPTraceExporter(),
    // No auto-instrumentation: the ingress records its own SERVER span (http-server.spans.ts);
    // the HTTP and Fastify instrumentations cost a third of its throughput even unsampled.
    instrumentations: [],
    // Metrics are Prometheus's and logs go to stdout: with OTEL_METRICS_EXPORTER / OTEL_LOGS_EXPORTER unset the
    // SDK would start OTLP metric and log exporters too, posting to the trace collector every minute.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  return true;
}

let activeContexts = false;

/** TRACE_CONTEXT: `active` (default) or `explicit`; anything else stops the start with a clear message. */
function traceContextMode(env: NodeJS.ProcessEnv = process.env): 'active' | 'explicit' {
  const mode = env.TRACE_CONTEXT?.trim() || 'active';
  if (mode !== 'active' && mode !== 'explicit') throw new Error(`TRACE_CONTEXT=${mode}: expected "active" (the default) or "explicit"`);
  return mode;
}

/** Whether the SDK nestjet started keeps an active context (TRACE_CONTEXT=active, the default): spans entered with `context.with` are what `trace.getActiveSpan()` and the log lines' trace ids read. */
export function activeTraceContexts(): boolean {
  return activeContexts;
}

/**
 * Whether nestjet's own `startTracing` started the SDK: it registers no
 * instrumentations, so nothing but nestjet's own publish paths (which also
 * take their parent explicitly) reads the active context inside a handler.
 * False when another SDK setup registered the provider (it may carry
 * instrumentations that read the active context) or none is registered.
 */
export function tracingStartedByNestjet(): boolean {
  return sdk !== undefined;
}

/** Flushes pending spans; call on shutdown. */
export async function shutdownTracing(): Promise<void> {
  const s = sdk;
  sdk = undefined;
  await s?.shutdown();
}
