import { context, type Context, type Span } from '@opentelemetry/api';
import { recordFailure, startProcessSpan, traceparentSampled } from '#telemetry';
import { REPLAY_HEADERS } from '../dead-letter/dead-letter.constants.js';
import { HEADERS } from '../headers/message-headers.js';
import type { Delivery, Outcome } from './delivery.js';
import type { DeliveryListener } from './delivery-listener.js';

const TRACEPARENT = 'traceparent';

/**
 * Whether a recorded delivery's span becomes the active context while its
 * handler runs: `active` (what OpenTelemetry instrumentations and
 * `trace.getActiveSpan()` read), or `explicit`: the handler gets it from
 * `ctx.getTraceContext()` and passes it on (`publish(…, { trace })`).
 * Entering a context turns on Node's async hooks for every promise in the
 * process (AsyncLocalStorage), which at 10 % sampling cost the no-op bench
 * consumer about a tenth of its throughput on Node 20.
 */
export type HandlerTraceContext = 'active' | 'explicit';

/**
 * `process <subject>` spans, for a process whose tracer provider is
 * registered. A message the sampler will not record costs nothing: when the
 * sampler follows the parent and the message's `traceparent` says "not
 * sampled", no span, attribute or context is built and the handler runs as
 * it would untraced; a root the SDK declines is dropped before the handler's
 * context is entered. Only a recorded span's context is made active around
 * the handler, so what the handler publishes or calls is its child. The one
 * thing an unrecorded message does not pass on is its "not sampled" decision:
 * what its handler publishes is sampled afresh.
 */
export class DeliveryTracingListener implements DeliveryListener {
  constructor(
    private readonly followsParent: boolean,
    private readonly handlerContext: HandlerTraceContext = 'active',
  ) {}

  /** Not async: an unrecorded delivery gets `work()`'s own promise back, no wrapper promise and no extra microtasks. */
  around(d: Delivery, work: () => Promise<Outcome>): Promise<Outcome> {
    const { msg } = d;
    const headers = msg.headers;
    if (this.followsParent && traceparentSampled(headers?.get(TRACEPARENT)) === false) return work();
    const { span, ctx } = startProcessSpan({
      subject: msg.subject,
      headers,
      stream: msg.info.stream,
      streamSequence: msg.info.streamSequence,
      deliveryCount: msg.info.deliveryCount,
      consumer: d.binding.durable,
      msgId: headers?.get(HEADERS.msgId) ?? '',
      bodySize: msg.data.byteLength,
      replayOf: headers?.get(REPLAY_HEADERS.originalTraceparent) || undefined,
    });
    if (!span.isRecording()) {
      span.end();
      return work();
    }
    d.trace = span;
    d.traceContext = ctx;
    return this.recorded(span, ctx, work);
  }

  private async recorded(span: Span, ctx: Context, work: () => Promise<Outcome>): Promise<Outcome> {
    try {
      const outcome = this.handlerContext === 'active' ? await context.with(ctx, work) : await work();
      span.setAttribute('nestjet.outcome', outcome);
      return outcome;
    } finally {
      span.end();
    }
  }

  failed(d: Delivery): void {
    if (d.trace && d.error) recordFailure(d.trace as Span, d.error);
  }
}
