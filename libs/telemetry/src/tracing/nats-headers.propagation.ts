import { context, propagation, trace, type Context, type SpanContext, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import type { MsgHdrs } from '@nats-io/transport-node';

/**
 * W3C trace context in NATS headers. Keys are lowercase (`traceparent`,
 * `tracestate`) and nats.js matches header names case-sensitively by default,
 * so reads and writes both use the propagator's own lowercase keys.
 */
const setter: TextMapSetter<MsgHdrs> = {
  set: (carrier, key, value) => carrier.set(key, value),
};

const getter: TextMapGetter<MsgHdrs | undefined> = {
  keys: (carrier) => carrier?.keys() ?? [],
  get: (carrier, key) => carrier?.get(key) || undefined,
};

export function injectTraceContext(headers: MsgHdrs, ctx: Context = context.active()): void {
  propagation.inject(ctx, headers, setter);
}

export function extractTraceContext(headers: MsgHdrs | undefined): Context {
  return propagation.extract(context.active(), headers, getter);
}

/** The span context carried by headers, for span links. */
export function remoteSpanContext(headers: MsgHdrs | undefined): SpanContext | undefined {
  const sc = trace.getSpanContext(extractTraceContext(headers));
  return sc && trace.isSpanContextValid(sc) ? sc : undefined;
}

/** Parses a bare `traceparent` value into a span context (for links to an original trace). */
export function parseTraceparent(value: string | undefined): SpanContext | undefined {
  const m = value?.match(/^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/);
  if (!m) return undefined;
  return { traceId: m[1]!, spanId: m[2]!, traceFlags: parseInt(m[3]!, 16), isRemote: true };
}

/** The sampled flag of a `traceparent` value; undefined when there is none or it is malformed. */
export function traceparentSampled(value: string | undefined): boolean | undefined {
  // 00-<32 hex>-<16 hex>-<2 hex flags>: 55 characters; bit 0 of the flags is "sampled".
  if (value?.length !== 55 || !value.startsWith('00-')) return undefined;
  const flags = parseInt(value.slice(53), 16);
  return Number.isNaN(flags) ? undefined : (flags & 1) === 1;
}
