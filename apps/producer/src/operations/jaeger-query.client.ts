import { Injectable } from '@nestjs/common';
import { ProducerEnvironment } from '../config/producer.environment.js';
import { problems } from '../problem/problem-details.js';
import { toTraceView, type JaegerTrace, type TraceView } from './trace.view.js';

const QUERY_TIMEOUT_MS = 5_000;
const TRACE_ID = /^[0-9a-f]{32}$/;

/** Reads one trace from Jaeger's query API (JAEGER_QUERY_URL) for the console, which cannot reach Jaeger itself. */
@Injectable()
export class JaegerQueryClient {
  constructor(private readonly env: ProducerEnvironment) {}

  async trace(traceId: string): Promise<TraceView> {
    if (!TRACE_ID.test(traceId)) throw problems.badRequest('a trace id is 32 lowercase hex digits');
    const base = this.env.JAEGER_QUERY_URL;
    if (!base) throw problems.unavailable('traces cannot be shown: JAEGER_QUERY_URL is not set on the producer');
    let res: Response;
    try {
      res = await fetch(new URL(`/api/traces/${traceId}`, base), { signal: AbortSignal.timeout(QUERY_TIMEOUT_MS) });
    } catch (err) {
      throw problems.unavailable(`Jaeger's query API did not answer: ${(err as Error).message}`);
    }
    if (res.status === 404) throw problems.notFound(`Jaeger has no trace ${traceId} (not sampled, not exported yet, or past its retention)`);
    if (!res.ok) throw problems.unavailable(`Jaeger's query API answered ${res.status}`);
    const body = (await res.json()) as { data?: JaegerTrace[] | null };
    const found = body.data?.[0];
    if (!found || found.spans.length === 0) throw problems.notFound(`Jaeger has no trace ${traceId}`);
    const view = toTraceView(found);
    const ui = this.env.JAEGER_UI_URL;
    return ui ? { ...view, jaegerUrl: new URL(`/trace/${traceId}`, ui).href } : view;
  }
}
