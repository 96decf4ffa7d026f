import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { authHeaders, inspect, NatsServer, order, postJson, type Producer, provision, startProducer, storedMsgId, waitFor } from '#test-support';

const DEADLINE_MS = 1500;

describe('ingress during a NATS outage', () => {
  let nats: NatsServer;
  let producer: Producer;
  const accepted: string[] = [];

  const send = async (headers: Record<string, string> = {}) => {
    const started = Date.now();
    const r = await postJson(`${producer.url}/v1/topics/orders.created/messages`, order(), headers);
    const body = (await r.json()) as { id: string; status?: number };
    // `id` is the key to retry with; what JetStream stores is the msgID derived from it.
    if (r.status === 202) accepted.push(storedMsgId(body.id));
    return { status: r.status, body, elapsed: Date.now() - started, retryAfter: r.headers.get('retry-after') };
  };

  /** Every Nats-Msg-Id stored in ORDERS, read back after the restart. */
  async function storedIds(): Promise<Set<string>> {
    const { nc, jsm } = await inspect(nats);
    try {
      const { state } = await jsm.streams.info('ORDERS');
      const ids = new Set<string>();
      for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
        const m = await jsm.streams.getMessage('ORDERS', { seq });
        if (m) ids.add(m.header.get('Nats-Msg-Id'));
      }
      return ids;
    } finally {
      await nc.close();
    }
  }

  beforeAll(async () => {
    nats = await NatsServer.start();
    await provision(nats);
    producer = await startProducer(nats, {
      PUBLISH_DEADLINE_MS: String(DEADLINE_MS),
      PUBLISH_ATTEMPT_TIMEOUT_MS: '500',
      RETRY_AFTER_SECONDS: '3',
    });
  });

  afterAll(async () => {
    await producer?.app.stop();
    await nats?.dispose();
  });

  it('answers 503 with Retry-After within its deadline, recovers by itself, and loses nothing answered 202', async () => {
    for (let i = 0; i < 20; i++) expect((await send()).status).toBe(202);

    await nats.stop();
    const down = await send();
    expect(down.status).toBe(503);
    expect(down.retryAfter).toBe('3');
    expect(down.elapsed).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(down.elapsed).toBeLessThan(DEADLINE_MS + 1500);
    expect(down.body.id).toEqual(expect.any(String));
    expect((await fetch(`${producer.url}/readyz`)).status).toBe(503);
    // A DLQ read the broker cannot answer is an outage (503 + Retry-After), never "no such record".
    const dlqRead = await fetch(`${producer.url}/v1/dlq/1`, { headers: authHeaders() });
    expect(dlqRead.status).toBe(503);
    expect(dlqRead.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(dlqRead.headers.get('retry-after')).toBe('3');

    await nats.restart();
    await waitFor('the ingress to accept again', async () => (await send()).status === 202, 20_000, 250);
    await waitFor('readiness to recover', async () => (await fetch(`${producer.url}/readyz`)).status === 200);

    // Retrying the refused message with its id is safe whether or not it was stored.
    const retried = await send({ 'Idempotency-Key': down.body.id });
    expect(retried.status).toBe(202);

    const stored = await storedIds();
    const lost = accepted.filter((id) => !stored.has(id));
    expect(lost).toEqual([]);
  });

  it('keeps every 202 when the server restarts under load', async () => {
    const statuses: number[] = [];
    const stopAt = Date.now() + 4000;
    const worker = async () => {
      while (Date.now() < stopAt) statuses.push((await send()).status);
    };
    const load = Promise.all([worker(), worker(), worker(), worker()]);
    await new Promise((r) => setTimeout(r, 1000));
    await nats.restart();
    await load;

    expect(statuses.filter((s) => s !== 202 && s !== 503)).toEqual([]);
    expect(statuses.filter((s) => s === 202).length).toBeGreaterThan(10);
    const stored = await storedIds();
    expect(accepted.filter((id) => !stored.has(id))).toEqual([]);
    process.stdout.write(
      `restart under load: ${statuses.filter((s) => s === 202).length} accepted, ${statuses.filter((s) => s === 503).length} refused with 503, 0 lost\n`,
    );
  });
});
