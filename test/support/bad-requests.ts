import fc from 'fast-check';

/** One HTTP request that must be refused with a 4xx problem. */
export interface BadRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

const TOPICS = ['orders.created', 'orders.paid', 'orders.cancelled'];
const FIELDS = ['orderId', 'customerId', 'amount', 'currency', 'region', 'paymentId', 'reason', 'lines'];

const validOrder = () => ({ orderId: 'fuzz-1', customerId: 'c-1', amount: 10, currency: 'EUR', region: 'eu' });

/** Values no field of any order accepts. */
const neverValid = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.array(fc.jsonValue(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue(), { maxKeys: 3 }),
  fc.constantFrom(Number.MAX_VALUE, -1e308, -0.0001),
  fc.string({ minLength: 65, maxLength: 400 }),
);

/** A payload that fails validation by construction. */
const badPayload: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue().filter((v) => typeof v !== 'object' || v === null || Array.isArray(v) || Object.keys(v).length < 3),
  fc.record({ field: fc.constantFrom(...FIELDS.slice(0, 5)), value: neverValid }).map(({ field, value }) => ({ ...validOrder(), [field]: value })),
  fc.string({ minLength: 1, maxLength: 20 })
    .filter((k) => !FIELDS.includes(k))
    .map((k) => ({ ...validOrder(), [k]: 1 })),
  fc.constantFrom(
    JSON.parse('{"__proto__": {"polluted": true}, "orderId": "x"}') as unknown,
    { constructor: { prototype: { admin: true } } },
    { ...validOrder(), amount: '10' },
    { ...validOrder(), currency: 'EURO' },
    // class-transformer threw on these (a 500, not a 400) until reserved keys were checked first.
    { ...validOrder(), orderId: { constructor: 1 } },
    { ...validOrder(), lines: [[{ sku: 'a', quantity: 1 }]] },
  ),
  fc.array(fc.constant(validOrder()), { minLength: 1, maxLength: 3 }),
);

const rawBody = fc.oneof(
  badPayload.map((p) => JSON.stringify(p) ?? 'null'),
  fc.string({ maxLength: 200 }),
  fc.constantFrom('{', '{"orderId":', '[[[[[[[[[[', '"\\ud800"', '\u0000', '{"a":1}{"b":2}', ''),
  fc.integer({ min: 1, max: 40 }).map((n) => '['.repeat(n * 100) + ']'.repeat(n * 100)),
  // Past a 16 KiB body limit (413), or an over-long field below the default 1 MiB one (400).
  fc.integer({ min: 1, max: 4 }).map((n) => JSON.stringify({ ...validOrder(), customerId: 'x'.repeat(20_000 * n) })),
);

const batchBody = fc.oneof(
  badPayload.map((p) => JSON.stringify({ messages: [{ payload: p }] })),
  fc.jsonValue().map((v) => JSON.stringify({ messages: v }) ?? ''),
  fc.constant(JSON.stringify({ messages: [] })),
  fc.constant(JSON.stringify({ messages: [{ payload: validOrder(), idempotencyKey: 'k' }, { payload: validOrder(), idempotencyKey: 'k' }] })),
  fc.constant(JSON.stringify({ messages: [{ payload: validOrder() }], extra: 1 })),
);

const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  fc.constantFrom('application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'application/json-patch+json'),
  fc.string({ maxLength: 30 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
);

const badTopic = fc.oneof(
  fc.constantFrom('orders', 'orders.>', 'orders.*', '..', '%2e%2e', 'orders.created.eu', 'ORDERS.created', '$JS.API.STREAM.PURGE.ORDERS', 'dlq.x'),
  fc.stringMatching(/^[A-Za-z0-9._~-]{1,40}$/).filter((t) => !TOPICS.includes(t)),
);

const idempotencyKey = fc.oneof(fc.string({ minLength: 129, maxLength: 200 }), fc.constantFrom('', ' ', 'a b', 'ü', 'k\tv'));

/** Ingress and admin requests that are wrong in one or more ways; never a valid publish. */
export function badRequests(): fc.Arbitrary<BadRequest> {
  const json = (body: fc.Arbitrary<string>, path: fc.Arbitrary<string>) =>
    fc.record({ method: fc.constant('POST'), path, body, ct: contentType }).map(({ method, path: p, body: b, ct }) => ({ method, path: p, body: b, headers: { 'content-type': ct } }));
  const topicPath = fc.constantFrom(...TOPICS).map((t) => `/v1/topics/${t}/messages`);
  return fc.oneof(
    { weight: 5, arbitrary: json(rawBody, topicPath) },
    { weight: 2, arbitrary: json(batchBody, topicPath.map((p) => `${p}/batch`)) },
    { weight: 1, arbitrary: json(fc.constant(JSON.stringify(validOrder())), badTopic.map((t) => `/v1/topics/${encodeURIComponent(t)}/messages`)) },
    {
      weight: 1,
      // HTTP drops a header value's surrounding whitespace: a 129-character key ending in a
      // space arrives as a valid 128-character one (seed 591756448), so long keys must stay long.
      arbitrary: idempotencyKey.filter((k) => /^[\x20-\x7e]*$/.test(k) && (k.length <= 128 || k.trim().length > 128)).map((k) => ({
        method: 'POST',
        path: '/v1/topics/orders.created/messages',
        headers: { 'content-type': 'application/json', 'idempotency-key': k },
        body: JSON.stringify(validOrder()),
      })),
    },
    {
      weight: 1,
      arbitrary: fc
        .record({ method: fc.constantFrom('GET', 'PUT', 'PATCH', 'DELETE'), path: topicPath })
        .map(({ method, path }) => ({ method, path, headers: { 'content-type': 'application/json' }, body: method === 'GET' ? undefined : JSON.stringify(validOrder()) })),
    },
    {
      weight: 1,
      arbitrary: fc
        .oneof(
          fc.constantFrom('/v1/dlq/abc', '/v1/dlq/0', '/v1/dlq/-1', '/v1/dlq/1.5', '/v1/dlq?limit=0', '/v1/dlq?since=yesterday', '/v1/dlq?colour=red'),
          fc.string({ maxLength: 20 }).map((q) => `/v1/dlq?limit=${encodeURIComponent(q)}x`),
        )
        .map((path) => ({ method: 'GET', path, headers: {} })),
    },
  );
}

/** Sends one request with `key`; returns status, content type and body text. */
export async function sendBadRequest(baseUrl: string, request: BadRequest, key: string): Promise<{ status: number; type: string | null; text: string }> {
  const r = await fetch(`${baseUrl}${request.path}`, {
    method: request.method,
    headers: { ...request.headers, authorization: `Bearer ${key}` },
    body: request.body,
  });
  return { status: r.status, type: r.headers.get('content-type'), text: await r.text() };
}
