import { context, SpanKind, trace, type Context, type Link, type Span } from '@opentelemetry/api';
import type { MsgHdrs } from '@nats-io/transport-node';
import { MESSAGING } from './messaging.attributes.js';
import { extractTraceContext, parseTraceparent, remoteSpanContext } from './nats-headers.propagation.js';
import { recordFailure, tracer, tracingActive } from './tracer.js';

/** Ends the span after `work`, marking it failed when `work` throws. */
async function within<T>(span: Span, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    recordFailure(span, err);
    throw err;
  } finally {
    span.end();
  }
}

/** What the consumer knows about a delivery when it starts processing it. */
export interface DeliveryFacts {
  subject: string;
  headers: MsgHdrs | undefined;
  stream: string;
  streamSequence: number;
  deliveryCount: number;
  consumer: string;
  msgId: string;
  bodySize: number;
  /** traceparent of the original a DLQ replay came from, for a link back to it. */
  replayOf?: string;
}

/**
 * `process <subject>` (CONSUMER): a child of the publisher's context carried in
 * the headers, linked to it as well, and to the original trace of a replay.
 * The caller runs the handler inside `ctx` and ends the span; with no tracer
 * provider registered (`tracingActive()`) it skips all of this.
 */
export function startProcessSpan(d: DeliveryFacts): { span: Span; ctx: Context } {
  const parent = extractTraceContext(d.headers);
  const links: Link[] = [];
  const producer = remoteSpanContext(d.headers);
  if (producer) links.push({ context: producer });
  const original = parseTraceparent(d.replayOf);
  if (original) links.push({ context: original, attributes: { 'nestjet.link': 'replay-of' } });
  const span = tracer().startSpan(
    `process ${d.subject}`,
    {
      kind: SpanKind.CONSUMER,
      links,
      attributes: {
        [MESSAGING.system]: 'nats',
        [MESSAGING.operationType]: 'process',
        [MESSAGING.operationName]: 'process',
        [MESSAGING.destination]: d.subject,
        [MESSAGING.consumerGroup]: d.consumer,
        [MESSAGING.stream]: d.stream,
        [MESSAGING.sequence]: d.streamSequence,
        [MESSAGING.deliveryCount]: d.deliveryCount,
        [MESSAGING.messageId]: d.msgId,
        [MESSAGING.bodySize]: d.bodySize,
      },
    },
    parent,
  );
  return { span, ctx: trace.setSpan(parent, span) };
}

export interface PublishFacts {
  subject: string;
  msgId: string;
  bodySize: number;
  /** Defaults to the active context. */
  parent?: Context;
}

/**
 * `publish <subject>` (PRODUCER), a child of `parent` or the active context. `work` gets
 * the span's context to inject into the message headers; it is not made the
 * active one (nothing below the publish creates spans, and entering a context
 * per publish showed in the profile). The PubAck's stream, sequence and
 * duplicate flag are recorded on the span.
 */
export function tracePublish<T extends { stream: string; seq: number; duplicate: boolean }>(p: PublishFacts, work: (ctx: Context) => Promise<T>): Promise<T> {
  const parent = p.parent ?? context.active();
  if (!tracingActive()) return work(parent);
  const span = tracer().startSpan(
    `publish ${p.subject}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        [MESSAGING.system]: 'nats',
        [MESSAGING.operationType]: 'send',
        [MESSAGING.operationName]: 'publish',
        [MESSAGING.destination]: p.subject,
        [MESSAGING.messageId]: p.msgId,
        [MESSAGING.bodySize]: p.bodySize,
      },
    },
    parent,
  );
  const ctx = trace.setSpan(parent, span);
  return within(span, async () => {
    const ack = await work(ctx);
    if (span.isRecording()) span.setAttributes({ [MESSAGING.stream]: ack.stream, [MESSAGING.sequence]: ack.seq, 'messaging.nats.duplicate': ack.duplicate });
    return ack;
  });
}

export interface DeadLetterSpanFacts {
  kind: string;
  stream: string;
  streamSequence: number;
  consumer: string;
  deliveryCount: number;
}

/**
 * `dead-letter <stream>/<consumer>` in the original message's trace, so Jaeger shows the attempts and then the
 * routing. `work` gets the span's context to parent what it publishes (passed on, not made active: see TRACE_CONTEXT).
 */
export function traceDeadLetter<T>(original: MsgHdrs, d: DeadLetterSpanFacts, work: (ctx: Context) => Promise<T>): Promise<T> {
  const link = remoteSpanContext(original);
  const parent = extractTraceContext(original);
  const span = tracer().startSpan(
    `dead-letter ${d.stream}/${d.consumer}`,
    {
      kind: SpanKind.INTERNAL,
      links: link ? [{ context: link, attributes: { 'nestjet.link': 'dead-lettered' } }] : [],
      attributes: {
        [MESSAGING.system]: 'nats',
        [MESSAGING.stream]: d.stream,
        [MESSAGING.sequence]: d.streamSequence,
        [MESSAGING.consumerGroup]: d.consumer,
        [MESSAGING.deliveryCount]: d.deliveryCount,
        'nestjet.dlq.kind': d.kind,
      },
    },
    parent,
  );
  const ctx = trace.setSpan(parent, span);
  return within(span, () => work(ctx));
}

export interface ReplayFacts {
  /** DLQ record id. */
  id: number;
  subject: string;
  consumer: string;
  /** traceparent of the original message. */
  original: string | undefined;
}

/** `replay <subject>`: a new trace (a replay is new work), linked to the original's; `work` gets its context, as for traceDeadLetter. */
export function traceReplay<T>(r: ReplayFacts, work: (ctx: Context) => Promise<T>): Promise<T> {
  const original = parseTraceparent(r.original);
  const parent = context.active();
  const span = tracer().startSpan(
    `replay ${r.subject}`,
    {
      root: true,
      links: original ? [{ context: original, attributes: { 'nestjet.link': 'replay-of' } }] : [],
      attributes: { 'nestjet.dlq.id': r.id, [MESSAGING.destination]: r.subject, [MESSAGING.consumerGroup]: r.consumer },
    },
    parent,
  );
  const ctx = trace.setSpan(parent, span);
  return within(span, () => work(ctx));
}
