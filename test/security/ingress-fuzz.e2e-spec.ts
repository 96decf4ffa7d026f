import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { badRequests, inspect, NatsServer, type Producer, propertyRuns, provision, sendBadRequest, startProducer, TEST_API_KEY } from '#test-support';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

// 2,000 fixed-seed requests in `npm test`; `npm run test:fuzz` sends ten times as many from a new seed.
const FUZZ = propertyRuns(2_000);
const RUNS = FUZZ.numRuns;

describe(`ingress under ${RUNS} generated bad requests`, () => {
  let nats: NatsServer;
  let producer: Producer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    nats = await NatsServer.start();
    await provision(nats);
    producer = await startProducer(nats, { RATE_LIMIT_MAX: '1000000', PUBLISH_BYTES_MAX: '1000000000', BODY_LIMIT_BYTES: '16384' });
    ({ nc, jsm } = await inspect(nats));
  });

  afterAll(async () => {
    await nc?.close();
    await producer?.app.stop();
    await nats?.dispose();
  });

  it(`answers each with a 4xx problem+json, publishes nothing and stays ready (${RUNS} runs)`, async () => {
    const before = (await jsm.streams.info('ORDERS')).state.messages;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(badRequests(), async (request) => {
        const { status, type, text } = await sendBadRequest(producer.url, request, TEST_API_KEY.key);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        expect([status >= 400 && status < 500, type]).toEqual([true, expect.stringMatching(/^application\/problem\+json/)]);
        expect((JSON.parse(text) as { status: number }).status).toBe(status);
      }),
      { ...FUZZ, endOnFailure: true },
    );
    expect((await jsm.streams.info('ORDERS')).state.messages).toBe(before);
    expect((await fetch(`${producer.url}/readyz`)).status).toBe(200);
    expect(producer.app.running).toBe(true);
    // Every kind of refusal was exercised, not just one.
    expect([...statuses.keys()].sort()).toEqual(expect.arrayContaining([400, 404, 413, 415]));
  });
});
