import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  authHeaders,
  casesLine,
  FAST_TOPOLOGY_ENV,
  Jaeger,
  order,
  postJson,
  publishPoisonOrder,
  runSchemathesis,
  startBroker,
  startConsumer,
  startProducer,
  TEST_API_KEY,
  waitFor,
  type AppProcess,
  type Broker,
  type Producer,
} from '#test-support';

/**
 * `npm test` runs a bounded pass (about a minute on 2 cores: the suite's budget
 * is nearly spent), with a fixed seed so a failure reproduces; `npm run contract`
 * sets CONTRACT_LONG=1 for many more examples and a new seed each time.
 */
const LONG = process.env.CONTRACT_LONG === '1';
const RUN_ARGS = LONG
  ? ['--max-examples', process.env.CONTRACT_MAX_EXAMPLES ?? '300', '--continue-on-failure']
  : ['--max-examples', '25', '--seed', '20261129'];

describe('the OpenAPI document is the contract (schemathesis against the real stack)', () => {
  let broker: Broker;
  let jaeger: Jaeger;
  let producer: Producer;
  let consumer: AppProcess;

  beforeAll(async () => {
    broker = await startBroker(FAST_TOPOLOGY_ENV);
    // The trace route reads a real Jaeger; without one it could only answer 503.
    jaeger = await Jaeger.start();
    producer = await startProducer(broker.nats, {
      JAEGER_QUERY_URL: jaeger.queryUrl,
      // schemathesis sends thousands of requests, many without a credential: limits are not what this test is about (429 is documented).
      RATE_LIMIT_MAX: '1000000',
      RATE_LIMIT_ANONYMOUS_MAX: '1000000',
      AUTH_FAILURE_MAX: '1000000',
      PUBLISH_BYTES_MAX: '1000000000',
    });
    consumer = await startConsumer(broker.nats);
    // Data for the routes that read it: a dead letter and a pending schedule.
    await publishPoisonOrder(broker.nats, 'contract-poison');
    const scheduled = await postJson(`${producer.url}/v1/topics/orders.created/messages?delayMs=3600000`, order());
    expect(scheduled.status).toBe(202);
    await waitFor('a dead letter', async () => {
      const r = await fetch(`${producer.url}/v1/dlq`, { headers: authHeaders() });
      return ((await r.json()) as { total: number }).total > 0;
    }, 30_000);
  }, 90_000);

  afterAll(async () => {
    await consumer?.stop();
    await producer?.app.stop();
    await jaeger?.stop();
    await broker?.dispose();
  });

  it(
    'schemathesis --checks all finds nothing',
    async () => {
      const run = await runSchemathesis(producer.url, TEST_API_KEY.key, RUN_ARGS);
      process.stdout.write(`schemathesis (${RUN_ARGS.join(' ')}): ${casesLine(run.output)}\n`);
      if (run.code !== 0) throw new Error(`schemathesis exited ${run.code}:\n${run.output}`);
      expect(run.output).toMatch(/\d+ generated, \d+ passed/);
    },
    LONG ? 60 * 60_000 : 240_000,
  );

  it('answers a method a path does not serve with 405 and Allow, after authentication', async () => {
    const cases: [string, string, number, string | null][] = [
      ['POST', '/v1/topics', 405, 'GET, HEAD'],
      ['PUT', '/v1/dlq/1', 405, 'DELETE, GET, HEAD'],
      ['PATCH', '/v1/schedules', 405, 'GET, HEAD'],
      ['GET', '/v1/dlq/1/replay', 405, 'POST'],
      ['DELETE', '/docs/openapi.json', 405, 'GET, HEAD'],
      ['POST', '/healthz', 405, 'GET, HEAD'],
      ['OPTIONS', '/v1/ops/overview', 405, 'GET, HEAD'],
      ['POST', '/v1/no-such-path', 404, null],
    ];
    for (const [method, path, status, allow] of cases) {
      const r = await fetch(`${producer.url}${path}`, { method, headers: authHeaders() });
      const body = (await r.json()) as { status: number };
      expect({ method, path, status: r.status, allow: r.headers.get('allow'), type: r.headers.get('content-type'), body: body.status }).toEqual({
        method,
        path,
        status,
        allow,
        type: expect.stringMatching(/^application\/problem\+json/),
        body: status,
      });
    }
    // Without a credential the path's methods are not told: 401, as for any path.
    expect((await fetch(`${producer.url}/v1/topics`, { method: 'POST' })).status).toBe(401);
  });
});
