import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { 
  AppProcess,
  authHeaders,
  ENTRYPOINTS,
  freePort,
  inspect,
  JwksIssuer,
  NatsServer,
  order,
  postJson,
  type Producer,
  provision,
  startProducer,
  TEST_API_KEY,
  testKey,
  waitFor,
  writeApiKeysFile,
 } from '#test-support';
import { copyFileSync, renameSync } from 'node:fs';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

interface Problem {
  type: string;
  status: number;
  detail?: string;
  scope?: string;
}

const ordersOnly = testKey('orders-created', ['publish:orders.created']);
const reader = testKey('reader', ['topics:read', 'dlq:read']);

describe('REST authentication and scopes: nothing is open by default', () => {
  let nats: NatsServer;
  let producer: Producer;
  let jwks: JwksIssuer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let keysFile: string;
  const publishUrl = (topic = 'orders.created') => `${producer.url}/v1/topics/${topic}/messages`;
  const stored = async () => (await jsm.streams.info('ORDERS')).state.messages;

  beforeAll(async () => {
    nats = await NatsServer.start();
    jwks = await JwksIssuer.start();
    await provision(nats);
    producer = await startProducer(nats, {
      API_KEYS_FILE: (keysFile = writeApiKeysFile([TEST_API_KEY, ordersOnly, reader])),
      METRICS_PUBLIC: 'false',
      ...jwks.env,
    });
    ({ nc, jsm } = await inspect(nats));
  });

  afterAll(async () => {
    await nc?.close();
    await producer?.app.stop();
    await jwks?.stop();
    await nats?.dispose();
  });

  async function expectProblem(r: Response, status: number): Promise<Problem> {
    expect([r.url, r.status]).toEqual([r.url, status]);
    expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    return (await r.json()) as Problem;
  }

  it('warms up in-process before it listens: every warm-up request refused by validation, nothing stored', async () => {
    const lines = producer.app.lines.map((l) => l.event);
    const [warm] = producer.app.events('producer.warmed-up');
    expect(warm).toMatchObject({ requests: 1000, statuses: { 400: 1000 } });
    expect(lines.indexOf('producer.warmed-up')).toBeLessThan(lines.indexOf('producer.ready'));
    expect(await stored()).toBe(0);
  });

  it('answers 401 with WWW-Authenticate to every route without a valid credential, and stores nothing', async () => {
    const before = await stored();
    const refused: [string, Promise<Response>][] = [
      ['anonymous publish', postJson(publishUrl(), order(), { authorization: '' })],
      ['anonymous batch', postJson(`${publishUrl()}/batch`, { messages: [{ payload: order() }] }, { authorization: '' })],
      ['anonymous DLQ', fetch(`${producer.url}/v1/dlq`)],
      ['anonymous topics', fetch(`${producer.url}/v1/topics`)],
      ['anonymous unknown path', fetch(`${producer.url}/v1/nothing-here`)],
      ['metrics when not public', fetch(`${producer.url}/metrics`)],
      ['a wrong key', postJson(publishUrl(), order(), { authorization: 'Bearer nj_not-a-real-key' })],
      ['a wrong X-API-Key', postJson(publishUrl(), order(), { 'x-api-key': `${TEST_API_KEY.key}x` })],
      ['a key prefix', postJson(publishUrl(), order(), { 'x-api-key': TEST_API_KEY.key.slice(0, 10) })],
      ['Basic auth', postJson(publishUrl(), order(), { authorization: `Basic ${Buffer.from(`a:${TEST_API_KEY.key}`).toString('base64')}` })],
      ['two credentials at once', postJson(publishUrl(), order(), { authorization: `Bearer ${TEST_API_KEY.key}`, 'x-api-key': TEST_API_KEY.key })],
    ];
    for (const [what, response] of refused) {
      const r = await response;
      const problem = await expectProblem(r, 401);
      expect([what, r.headers.get('www-authenticate')]).toEqual([what, 'Bearer realm="nestjet"']);
      expect(problem.type).toBe('urn:nestjet:problem:unauthorized');
      // The refusal never echoes the credential.
      expect(JSON.stringify(problem)).not.toContain(TEST_API_KEY.key.slice(3, 20));
    }
    expect(await stored()).toBe(before);
  });

  it('keeps probes and the OpenAPI document open', async () => {
    for (const path of ['/healthz', '/readyz', '/docs/openapi.json']) {
      expect([path, (await fetch(`${producer.url}${path}`)).status]).toEqual([path, 200]);
    }
    expect((await fetch(`${producer.url}/metrics`, { headers: authHeaders() })).status).toBe(200);
  });

  it('accepts an API key as Bearer or X-API-Key', async () => {
    expect((await postJson(publishUrl(), order())).status).toBe(202);
    expect((await postJson(publishUrl(), order(), { 'x-api-key': TEST_API_KEY.key })).status).toBe(202);
  });

  it('answers 403 naming the missing scope, and stores nothing', async () => {
    const before = await stored();
    expect((await postJson(publishUrl(), order(), authHeaders(ordersOnly))).status).toBe(202);
    const paid = await expectProblem(await postJson(publishUrl('orders.paid'), { orderId: 'o-1', amount: 1, currency: 'EUR', region: 'eu', paymentId: 'pay-1' }, authHeaders(ordersOnly)), 403);
    expect(paid).toMatchObject({ scope: 'publish:orders.paid', detail: 'the credential lacks the scope publish:orders.paid' });
    expect((await expectProblem(await fetch(`${producer.url}/v1/dlq`, { headers: authHeaders(ordersOnly) }), 403)).scope).toBe('dlq:read');
    expect((await fetch(`${producer.url}/v1/dlq`, { headers: authHeaders(reader) })).status).toBe(200);
    expect((await fetch(`${producer.url}/v1/topics`, { headers: authHeaders(reader) })).status).toBe(200);
    const replay = await fetch(`${producer.url}/v1/dlq/1/replay`, { method: 'POST', headers: { ...authHeaders(reader), 'content-type': 'application/json' } });
    expect((await expectProblem(replay, 403)).scope).toBe('dlq:replay');
    const purge = await fetch(`${producer.url}/v1/dlq?all=true`, { method: 'DELETE', headers: { ...authHeaders(reader), 'content-type': 'application/json' } });
    expect((await expectProblem(purge, 403)).scope).toBe('dlq:purge');
    expect((await expectProblem(await postJson(publishUrl(), order(), authHeaders(reader)), 403)).scope).toBe('publish:orders.created');
    expect(await stored()).toBe(before + 1);
  });

  it('verifies JWTs against the JWKS, issuer and audience, with scopes from the scope claim', async () => {
    const good = await jwks.token({ scope: 'publish:orders.* dlq:read unknown:scope' });
    expect((await postJson(publishUrl('orders.paid'), { orderId: 'o-2', amount: 1, currency: 'EUR', region: 'eu', paymentId: 'pay-1' }, { authorization: `Bearer ${good}` })).status).toBe(202);
    expect((await fetch(`${producer.url}/v1/dlq`, { headers: { authorization: `Bearer ${good}` } })).status).toBe(200);
    expect((await expectProblem(await fetch(`${producer.url}/v1/topics`, { headers: { authorization: `Bearer ${good}` } }), 403)).scope).toBe('topics:read');

    const bad: [string, string][] = [
      ['wrong audience', await jwks.token({ scope: 'publish:>', aud: 'someone-else' })],
      ['wrong issuer', await jwks.token({ scope: 'publish:>', iss: 'https://evil.test' })],
      ['expired', await jwks.token({ scope: 'publish:>', expiresIn: '-10m' })],
      ['no subject', await jwks.token({ scope: 'publish:>', sub: '' })],
      ['signed by a key the JWKS does not publish', await jwks.token({ scope: 'publish:>' }, await JwksIssuer.foreignKey())],
      ['tampered payload', tamper(good)],
    ];
    for (const [what, token] of bad) {
      const r = await postJson(publishUrl(), order(), { authorization: `Bearer ${token}` });
      expect([what, r.status]).toEqual([what, 401]);
    }
  });

  it('refuses a JWT that is not an access token or that does not expire soon enough, saying why, and stores nothing', async () => {
    const before = await stored();
    const now = Math.floor(Date.now() / 1000);
    const refused: [string, string, string][] = [
      ['no exp', await jwks.token({ scope: 'publish:>', expiresIn: null }), 'the JWT was refused: the token has no expiry (exp); tokens that never expire are refused'],
      ['a lifetime of 25 h (exp − iat)', await jwks.token({ scope: 'publish:>', issuedAt: now - 3600, expiresIn: '24h' }), 'the JWT was refused: the token is valid for'],
      ['valid for 25 h from now, no iat (exp − now)', await jwks.token({ scope: 'publish:>', issuedAt: null, expiresIn: '25h' }), '(exp − now), more than JWT_MAX_TOKEN_LIFETIME_SECONDS (86400 s)'],
      ['issued in the future', await jwks.token({ scope: 'publish:>', issuedAt: now + 3600, expiresIn: '2h' }), 'the JWT was refused: the token was issued in the future (iat)'],
      ['no typ header', await jwks.token({ scope: 'publish:>', typ: null }), "the JWT was refused: the token's typ header is missing; accepted: at+jwt, JWT"],
      ['an ID token (typ id_token+jwt)', await jwks.token({ scope: 'publish:>', typ: 'id_token+jwt' }), `the token's typ header is "id_token+jwt"`],
      ['a logout token', await jwks.token({ scope: 'publish:>', typ: 'logout+jwt' }), `the token's typ header is "logout+jwt"`],
    ];
    for (const [what, token, detail] of refused) {
      const r = await postJson(publishUrl(), order(), { authorization: `Bearer ${token}` });
      const problem = await expectProblem(r, 401);
      expect([what, problem.type, r.headers.get('www-authenticate')]).toEqual([what, 'urn:nestjet:problem:unauthorized', 'Bearer realm="nestjet"']);
      expect([what, problem.detail]).toEqual([what, expect.stringContaining(detail)]);
    }
    expect(await stored()).toBe(before);
    // What stays accepted: RFC 9068 types in any spelling, a day's lifetime, no iat within the limit.
    for (const token of [
      await jwks.token({ scope: 'publish:>', typ: 'application/at+jwt' }),
      await jwks.token({ scope: 'publish:>', typ: 'JWT', expiresIn: '23h' }),
      await jwks.token({ scope: 'publish:>', issuedAt: null, expiresIn: '1h' }),
    ]) {
      expect((await postJson(publishUrl(), order(), { authorization: `Bearer ${token}` })).status).toBe(202);
    }
  });

  it('stops accepting a revoked key within seconds, without a restart (rotated Secret)', async () => {
    expect((await fetch(`${producer.url}/v1/topics`, { headers: authHeaders(reader) })).status).toBe(200);
    copyFileSync(writeApiKeysFile([TEST_API_KEY, ordersOnly]), `${keysFile}.new`);
    renameSync(`${keysFile}.new`, keysFile);
    await waitFor('the revoked key to be refused', async () => (await fetch(`${producer.url}/v1/topics`, { headers: authHeaders(reader) })).status === 401, 15_000, 250);
    expect((await postJson(publishUrl(), order())).status).toBe(202);
    expect(producer.app.events('auth.keys-reloaded')).toHaveLength(1);
  });
});

/** Swaps the payload for one claiming every scope, keeping the original signature. */
function tamper(jwt: string): string {
  const [header, payload, signature] = jwt.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  return [header, Buffer.from(JSON.stringify({ ...claims, scope: 'publish:> dlq:purge' })).toString('base64url'), signature].join('.');
}

describe('REST authentication: secure by default at start-up', () => {
  let nats: NatsServer;

  beforeAll(async () => {
    nats = await NatsServer.start();
  });

  afterAll(async () => {
    await nats?.dispose();
  });

  async function refusal(env: Record<string, string>): Promise<string> {
    const app = await AppProcess.start('producer', ENTRYPOINTS.producer, { NATS_URL: nats.url, PORT: String(await freePort()), HOST: '127.0.0.1', ...env });
    const { code } = await app.waitForExit();
    expect(code).toBe(1);
    return app.raw.join('\n');
  }

  it('refuses to start without credentials, naming what to set', async () => {
    expect(await refusal({})).toMatch(/no credentials configured: set API_KEYS_FILE and\/or JWT_JWKS_URL/);
  });

  it('refuses a bad key file or the retired ADMIN_TOKEN, without printing secrets', async () => {
    const leaked = 'sha256:' + 'ab'.repeat(32);
    const badScope = writeApiKeysFile([]).replace(/api-keys\.json$/, 'bad.json');
    await import('node:fs').then((fs) => fs.writeFileSync(badScope, JSON.stringify([{ id: 'x', hash: leaked, scopes: ['root'] }])));
    const out = await refusal({ API_KEYS_FILE: badScope });
    expect(out).toMatch(/\[0\]\.scopes: unknown scope "root"/);
    expect(out).not.toContain('ab'.repeat(32));
    const token = await refusal({ API_KEYS_FILE: writeApiKeysFile([TEST_API_KEY]), ADMIN_TOKEN: 'super-secret-admin-token' });
    expect(token).toMatch(/ADMIN_TOKEN is no longer read/);
    expect(token).not.toContain('super-secret-admin-token');
  });

  it('refuses an http:// JWKS unless JWT_JWKS_ALLOW_HTTP=true, naming the fix', async () => {
    const jwt = { JWT_JWKS_URL: 'http://127.0.0.1:9/.well-known/jwks.json', JWT_ISSUER: 'https://issuer.test', JWT_AUDIENCE: 'nestjet' };
    expect(await refusal(jwt)).toMatch(/JWT_JWKS_URL must be an https:\/\/ URL \(got http:\/\/127\.0\.0\.1:9\): keys fetched over http can be replaced on the way.*JWT_JWKS_ALLOW_HTTP=true/);
    expect(await refusal({ ...jwt, JWT_JWKS_ALLOW_HTTP: 'false' })).toMatch(/JWT_JWKS_URL must be an https:\/\/ URL/);
    // With the explicit opt-in it starts (the suite above runs that way against a loopback JWKS).
  });

  it('runs open only with AUTH_MODE=none, and warns at every start', async () => {
    await provision(nats);
    const open = await startProducer(nats, { AUTH_MODE: 'none', API_KEYS_FILE: '' });
    try {
      expect(open.app.events('auth.disabled')).toHaveLength(1);
      expect((await postJson(`${open.url}/v1/topics/orders.created/messages`, order(), { authorization: '' })).status).toBe(202);
    } finally {
      await open.app.stop();
    }
  });
});
