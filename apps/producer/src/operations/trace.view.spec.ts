import { describe, expect, it } from '@jest/globals';
import { toTraceView, type JaegerTrace } from './trace.view.js';

describe('toTraceView', () => {
  const trace: JaegerTrace = {
    traceID: 'a'.repeat(32),
    processes: { p1: { serviceName: 'nestjet-producer' }, p2: { serviceName: 'nestjet-consumer' } },
    spans: [
      {
        spanID: 'c2',
        operationName: 'process orders.created.eu',
        references: [{ refType: 'CHILD_OF', spanID: 'c1' }],
        startTime: 1_000_400,
        duration: 300,
        processID: 'p2',
        tags: [{ key: 'span.kind', value: 'consumer' }, { key: 'otel.status_code', value: 'ERROR' }, { key: 'nested', value: { no: 1 } }],
      },
      { spanID: 'c1', operationName: 'POST /v1/topics/:topic/messages', startTime: 1_000_000, duration: 900, processID: 'p1', tags: [{ key: 'span.kind', value: 'server' }] },
    ],
  };

  it('orders spans by start, relative to the first, with their service, parent, kind and error', () => {
    const v = toTraceView(trace);
    expect(v.spans.map((s) => [s.spanId, s.parentSpanId, s.service, s.kind, s.startUs, s.error])).toEqual([
      ['c1', null, 'nestjet-producer', 'server', 0, false],
      ['c2', 'c1', 'nestjet-consumer', 'consumer', 400, true],
    ]);
  });

  it('keeps only scalar attributes', () => {
    expect(toTraceView(trace).spans[1]!.attributes).toEqual({ 'span.kind': 'consumer', 'otel.status_code': 'ERROR' });
  });
});
