import { startProcessSpan } from '#telemetry';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { core } from '@opentelemetry/sdk-node';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

/**
 * CPU time (this process's user + system) one consumer `process` span costs with the OpenTelemetry JS SDK
 * alone: the app's own `startProcessSpan` (its attributes, a propagated
 * parent), the outcome attribute, `end()`, the batch processor and the OTLP
 * protobuf export to `tracesUrl`, in this process, with no message, handler
 * or context switch around it. Nothing nestjet can do per message makes
 * tracing cheaper than this, so it bounds the `tracing-consumer` ratio.
 */
export async function spanCostMicros(tracesUrl: string, spans = 100_000): Promise<number> {
  const provider = new BasicTracerProvider({
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl }), { maxQueueSize: 8192, maxExportBatchSize: 512 })],
  });
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new core.W3CTraceContextPropagator());
  const headers = natsHeaders();
  headers.set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
  const facts = {
    subject: 'orders.created.eu',
    headers,
    stream: 'ORDERS',
    streamSequence: 0,
    deliveryCount: 1,
    consumer: 'fulfillment',
    msgId: '',
    bodySize: 120,
  };
  try {
    const started = process.cpuUsage();
    for (let i = 0; i < spans; i++) {
      const { span } = startProcessSpan({ ...facts, streamSequence: i, msgId: `bench-${i}` });
      span.setAttribute('nestjet.outcome', 'ack');
      span.end();
      // Let the batch processor's timer and the exporter's sockets run, as they do between messages.
      if ((i & 1023) === 1023) await new Promise((resolve) => setImmediate(resolve));
    }
    await provider.forceFlush();
    const used = process.cpuUsage(started);
    return (used.user + used.system) / spans;
  } finally {
    await provider.shutdown();
    trace.disable();
    propagation.disable();
  }
}

/** The highest traced/untraced throughput ratio a per-message cost of `spanMicros` allows at `offRate` msg/s. */
export function ratioCeiling(offRate: number, spanMicros: number): number {
  return 1 / (1 + (spanMicros * offRate) / 1e6);
}
