import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { authHeaders, inspect, NatsServer, order, postJson, type Producer, provision, startProducer } from '#test-support';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: { field: string; messages: string[] }[];
}

describe('ingress: bad input gets problem+json and publishes nothing', () => {
  let nats: NatsServer;
  let producer: Producer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const url = () => `${producer.url}/v1/topics/orders.created/messages`;
  const stored = async () => (await jsm.streams.info('ORDERS')).state.messages;

  beforeAll(async () => {
    nats = await NatsServer.start();
    await provision(nats);
    producer = await startProducer(nats, { BODY_LIMIT_BYTES: '4096', BATCH_MAX_MESSAGES: '5' });
    ({ nc, jsm } = await inspect(nats));
  });

  afterAll(async () => {
    await nc?.close();
    await producer?.app.stop();
    await nats?.dispose();
  });

  async function expectProblem(response: Response, status: number): Promise<Problem> {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await response.json()) as Problem;
    expect(problem.status).toBe(status);
    expect(typeof problem.title).toBe('string');
    expect(typeof problem.type).toBe('string');
    return problem;
  }

  const cases: [string, () => Promise<Response>, number, (p: Problem) => void][] = [
    ['malformed JSON', () => postJson(url(), '{"orderId": "x",'), 400, (p) => expect(p.detail).toMatch(/JSON/)],
    [
      'wrong types, with one entry per field',
      () => postJson(url(), order({ amount: 'a lot', region: 'mars', currency: 'XXXX' })),
      400,
      (p) => expect(p.errors!.map((e) => e.field).sort()).toEqual(['amount', 'currency', 'region']),
    ],
    ['an unknown field', () => postJson(url(), order({ discount: 5 })), 400, (p) => expect(p.errors![0]!.field).toBe('discount')],
    ['a JSON array instead of an object', () => postJson(url(), [order()]), 400, (p) => expect(p.errors![0]!.messages[0]).toMatch(/JSON object/)],
    [
      'an unknown topic',
      () => postJson(`${producer.url}/v1/topics/orders.shipped/messages`, order()),
      404,
      (p) => expect(p.detail).toMatch(/orders\.created/),
    ],
    ['an oversize body', () => postJson(url(), order({ customerId: 'x'.repeat(8000) })), 413, () => undefined],
    [
      'a text/plain body',
      () => fetch(url(), { method: 'POST', headers: { 'content-type': 'text/plain', ...authHeaders() }, body: JSON.stringify(order()) }),
      415,
      () => undefined,
    ],
    [
      'an XML body',
      () => fetch(url(), { method: 'POST', headers: { 'content-type': 'application/xml', ...authHeaders() }, body: '<order/>' }),
      415,
      () => undefined,
    ],
    ['a bad Idempotency-Key', () => postJson(url(), order(), { 'Idempotency-Key': 'has space' }), 400, () => undefined],
    ['an empty batch', () => postJson(`${url()}/batch`, { messages: [] }), 400, (p) => expect(p.detail).toMatch(/empty/)],
    [
      'a batch over the limit',
      () => postJson(`${url()}/batch`, { messages: Array.from({ length: 6 }, () => ({ payload: order() })) }),
      400,
      (p) => expect(p.detail).toMatch(/limit of 5/),
    ],
    [
      'a batch with one invalid item (nothing of it is published)',
      () => postJson(`${url()}/batch`, { messages: [{ payload: order() }, { payload: order({ amount: -1 }) }] }),
      400,
      (p) => expect(p.errors!.map((e) => e.field)).toEqual(['messages[1].payload.amount']),
    ],
    [
      'a batch repeating an idempotency key',
      () =>
        postJson(`${url()}/batch`, {
          messages: [
            { payload: order(), idempotencyKey: 'same' },
            { payload: order(), idempotencyKey: 'same' },
          ],
        }),
      400,
      (p) => expect(p.errors![0]!.field).toBe('messages[1].idempotencyKey'),
    ],
    ['a batch that is not {messages: [...]}', () => postJson(`${url()}/batch`, [order()]), 400, () => undefined],
  ];

  it.each(cases)('refuses %s', async (_name, send, status, check) => {
    const before = await stored();
    const problem = await expectProblem(await send(), status);
    check(problem);
    expect(await stored()).toBe(before);
  });

  it('publishes a valid batch with a result per message', async () => {
    const before = await stored();
    const r = await postJson(`${url()}/batch`, {
      messages: [{ payload: order(), idempotencyKey: 'batch-a' }, { payload: order({ amount: 5000 }) }, { payload: order() }],
    });
    expect(r.status).toBe(202);
    const { results } = (await r.json()) as { results: { index: number; status: number; id: string; seq: number }[] };
    expect(results.map((x) => [x.index, x.status])).toEqual([
      [0, 202],
      [1, 202],
      [2, 202],
    ]);
    expect(results[0]!.id).toBe('batch-a');
    expect(new Set(results.map((x) => x.seq)).size).toBe(3);
    expect(await stored()).toBe(before + 3);
  });
});
