import { authHeaders } from './api-keys.js';
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export interface PacedLoadOptions {
  /** Producer base URL. */
  url: string;
  messages: number;
  /** Requests started per second (open loop: the schedule does not wait for answers). */
  rate: number;
  /** Prefix of the Idempotency-Keys, unique per run. */
  runId: string;
  /** Every n-th order is high-value, so the fraud-review durable consumes too. */
  highEvery: number;
  /** Requests allowed in flight; beyond it the schedule slips and the achieved rate says so. */
  maxInFlight?: number;
  /** Attempts per message for answers other than 202 (same Idempotency-Key, as a client is told to). */
  attempts?: number;
  /** Keep-alive connections (default 32); requests beyond them wait in the agent, and that wait counts in their latency. */
  maxSockets?: number;
}

/** One answered attempt: when it was started (ms after the load began) and how long its answer took. */
export interface PacedAnswer {
  index: number;
  startedMs: number;
  latencyMs: number;
  status: number;
}

export interface PacedLoadResult {
  /** Messages answered 202 (each counted once, whatever the attempt). */
  accepted: number;
  /** 202 answers saying `duplicate: true` to a first attempt: nothing was sent before, so none may be (a retry's may). */
  firstAttemptDuplicates: number;
  /** High-value messages among the accepted. */
  high: number;
  /** Extra attempts after a non-202 answer or a transport error. */
  retries: number;
  /** Messages never answered 202, with the last status or error of each (first 10). */
  failed: number;
  failures: string[];
  elapsedMs: number;
}

const TICK_MS = 10;

interface Answer {
  status: number;
  body: string;
}

/**
 * Drives the REST ingress at a fixed rate with keep-alive connections: request
 * i starts at i / rate seconds. Each message has its own Idempotency-Key, so
 * the stream must end up with exactly one message per 202.
 */
export async function pacedLoad(o: PacedLoadOptions, onProgress?: (started: number) => void, onAnswer?: (a: PacedAnswer) => void): Promise<PacedLoadResult> {
  const maxInFlight = o.maxInFlight ?? 256;
  const attempts = o.attempts ?? 5;
  const agent = new Agent({ keepAlive: true, maxSockets: o.maxSockets ?? 32 });
  const target = new URL('/v1/topics/orders.created/messages', o.url);
  const headers = { 'content-type': 'application/json', ...authHeaders() };
  const result: PacedLoadResult = { accepted: 0, firstAttemptDuplicates: 0, high: 0, retries: 0, failed: 0, failures: [], elapsedMs: 0 };

  const post = (key: string, body: string): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const req = request(target, { method: 'POST', agent, headers: { ...headers, 'idempotency-key': key, 'content-length': Buffer.byteLength(body) } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });

  const send = async (i: number): Promise<void> => {
    const high = i % o.highEvery === 0;
    const body = JSON.stringify({ orderId: `${o.runId}-${i}`, customerId: `c-${i % 1000}`, amount: high ? 2500 : 40 + (i % 50), currency: 'EUR', region: 'eu' });
    let last = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) {
        result.retries += 1;
        await sleep(200 * attempt);
      }
      try {
        const sent = performance.now();
        const answer = await post(`${o.runId}-${i}`, body);
        onAnswer?.({ index: i, startedMs: sent - started, latencyMs: performance.now() - sent, status: answer.status });
        if (answer.status === 202) {
          result.accepted += 1;
          if (high) result.high += 1;
          if (attempt === 1 && (JSON.parse(answer.body) as { duplicate: boolean }).duplicate) result.firstAttemptDuplicates += 1;
          return;
        }
        last = `${answer.status} ${answer.body.slice(0, 120)}`;
      } catch (err) {
        last = String(err);
      }
    }
    result.failed += 1;
    if (result.failures.length < 10) result.failures.push(`#${i}: ${last}`);
  };

  const started = performance.now();
  let next = 0;
  let inFlight = 0;
  let settle: () => void = () => {};
  const allSettled = new Promise<void>((resolve) => (settle = resolve));
  while (next < o.messages) {
    const due = Math.min(o.messages, Math.floor(((performance.now() - started) / 1000) * o.rate));
    while (next < due && inFlight < maxInFlight) {
      inFlight += 1;
      void send(next++).finally(() => {
        inFlight -= 1;
        if (inFlight === 0 && next >= o.messages) settle();
      });
    }
    onProgress?.(next);
    await sleep(TICK_MS);
  }
  if (inFlight > 0) await allSettled;
  result.elapsedMs = performance.now() - started;
  agent.destroy();
  return result;
}
