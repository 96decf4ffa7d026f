import { readFileSync } from 'node:fs';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

let sdk: NodeSDK | undefined;

function version(): string {
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
 * Starts the OpenTelemetry SDK. Import this (through an app's
 * `instrumentation.ts`) before anything loads Fastify or `http`, so the HTTP
 * instrumentation can wrap them. Endpoint, sampler and batching follow the
 * standard OTEL_* variables.
 */
export function startTracing(defaultServiceName: string): boolean {
  if (sdk || !tracingConfigured()) return false;
  // W3C trace context only, unless the operator says otherwise: `baggage` from
  // clients at the edge would otherwise ride along into every message and span context.
  process.env.OTEL_PROPAGATORS ??= 'tracecontext';
  sdk = new NodeSDK({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: process.env.OTEL_SERVICE_NAME ?? defaultServiceName,
      [ATTR_SERVICE_VERSION]: version(),
    }),
    traceExporter: new OTLPTraceExporter(),
    instrumentations: [
      // Route-level spans (`request` with http.route, `handler - …`) under the HTTP server span.
      new FastifyOtelInstrumentation({
        registerOnInitialization: true,
        // A span per lifecycle hook (middie, guards' plumbing) costs more than it tells.
        instrumentHooks: false,
        ignorePaths: ({ url }) => /^\/(healthz|readyz|metrics)\b/.test(url),
      }),
      new HttpInstrumentation({
        // Probes and scrapes would drown the traces that matter.
        ignoreIncomingRequestHook: (req) => /^\/(healthz|readyz|metrics)\b/.test(req.url ?? ''),
      }),
    ],
  });
  sdk.start();
  return true;
}

/** Flushes pending spans; call on shutdown. */
export async function shutdownTracing(): Promise<void> {
  const s = sdk;
  sdk = undefined;
  await s?.shutdown();
}
