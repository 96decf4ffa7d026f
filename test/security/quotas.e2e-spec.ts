import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { authHeaders, JwksIssuer, NatsServer, order, postJson, type Producer, provision, startProducer, testKey, waitFor, writeApiKeysFile } from '#test-support';

const REQUESTS = 20;
const SHARE = 0.1; // each pod grants at most 2 requests of key A before asking the shared counter
const flooder = testKey('flooder', ['publish:>']);
const bystander = testKey('bystander', ['publish:>']);
const bulky = testKey('bulky', ['publish:>'], { requests: 1_000, publishBytes: 1_500 });
const scheduler = testKey('scheduler', ['publish:>'], { requests: 100_000 });
const planner = testKey('planner', ['publish:>', 'schedules:cancel']);
const hoarder = testKey('hoarder', ['publish:>', 'schedules:cancel']);

interface QuotaProblem {
  status: number;
  type: string;
  quota: string;
  limit: number;
  windowSeconds?: number;
}

describe('quotas shared by two producer pods', () => {
  let nats: NatsServer;
  let jwks: JwksIssuer;
  let pods: Producer[];
  let keysFile: string;
  const url = (pod: Producer, query = '') => `${pod.url}/v1/topics/orders.created/messages${query}`;

  beforeAll(async () => {
    nats = await NatsServer.start();
    await provision(nats);
    jwks = await JwksIssuer.start();
    keysFile = writeApiKeysFile([flooder, bystander, bulky, scheduler, planner, hoarder]);
    const env = {
      ...jwks.env,
      JWT_QUOTA_CLAIM: 'nestjet_quotas',
      API_KEYS_FILE: keysFile,
      RATE_LIMIT_MAX: String(REQUESTS),
      // Long windows: no window ends while a test runs, so the counts below are exact.
      RATE_LIMIT_WINDOW_MS: '300000',
      PUBLISH_BYTES_WINDOW_MS: '300000',
      AUTH_FAILURE_MAX: '5',
      AUTH_FAILURE_WINDOW_MS: '300000',
      QUOTA_LOCAL_SHARE: String(SHARE),
      SCHEDULES_MAX_PENDING_PER_CALLER: '3',
      // As behind an Ingress controller on this host: X-Forwarded-For names the client.
      TRUST_PROXY: '127.0.0.1',
      WARM_UP_REQUESTS: '0',
    };
    pods = await Promise.all([startProducer(nats, env), startProducer(nats, env)]);
  });

  afterAll(async () => {
    await Promise.all((pods ?? []).map((p) => p.app.stop()));
    await jwks?.stop();
    await nats?.dispose();
  });

  it("limits a flooding key across both pods (near the quota, not twice it) while another key's publishing goes on", async () => {
    const statuses: number[] = [];
    const refusals: Response[] = [];
    const bystanderStatuses: number[] = [];
    for (let wave = 0; wave < 6; wave++) {
      const flood = Array.from({ length: 10 }, (_, i) => postJson(url(pods[i % 2]!), order(), authHeaders(flooder)));
      const other = postJson(url(pods[wave % 2]!), order(), authHeaders(bystander));
      const results = await Promise.all(flood);
      bystanderStatuses.push((await other).status);
      for (const r of results) {
        statuses.push(r.status);
        if (r.status === 429) refusals.push(r);
        else await r.body?.cancel();
      }
    }
    const accepted = statuses.filter((s) => s === 202).length;
    // At most the quota plus each pod's local share (SharedCounters.take); per pod it would be 2 × 20.
    expect(accepted).toBeLessThanOrEqual(REQUESTS + 2 * REQUESTS * SHARE);
    expect(accepted).toBeGreaterThanOrEqual(REQUESTS - 2 * REQUESTS * SHARE);
    expect(statuses.filter((s) => s !== 202 && s !== 429)).toEqual([]);
    expect(bystanderStatuses).toEqual([202, 202, 202, 202, 202, 202]);

    const refused = refusals[0]!;
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.json()).toMatchObject({ status: 429, type: 'urn:nestjet:problem:rate-limited', quota: 'requests', limit: REQUESTS, windowSeconds: 300 });
    // Both pods refuse the flooder now; the bystander still publishes through either.
    for (const pod of pods) {
      expect((await postJson(url(pod), order(), authHeaders(flooder))).status).toBe(429);
      expect((await postJson(url(pod), order(), authHeaders(bystander))).status).toBe(202);
    }
  });

  it("counts published bytes per credential across pods, with the key's own limit", async () => {
    const statuses: number[] = [];
    let refusal: QuotaProblem | undefined;
    for (let i = 0; i < 40 && !refusal; i++) {
      const r = await postJson(url(pods[i % 2]!), order(), authHeaders(bulky));
      statuses.push(r.status);
      if (r.status === 429) refusal = (await r.json()) as QuotaProblem;
      else await r.body?.cancel();
    }
    expect(refusal).toMatchObject({ status: 429, quota: 'publish-bytes', limit: 1_500, windowSeconds: 300 });
    // Every order is over 100 bytes: far fewer than 40 fit in 1,500 (with up to two local shares of 150 bytes over).
    expect(statuses.filter((s) => s === 202).length).toBeLessThanOrEqual(Math.floor((1_500 + 2 * 150) / 100));
    // A batch is taken whole or refused whole: nothing of it is stored.
    const batch = await postJson(`${url(pods[0]!)}/batch`, { messages: [{ payload: order() }, { payload: order() }] }, authHeaders(bulky));
    expect(batch.status).toBe(429);
    expect(await batch.json()).toMatchObject({ quota: 'publish-bytes' });
    // A batch larger than the whole quota is told so: no later window would take it.
    const huge = await postJson(`${url(pods[1]!)}/batch`, { messages: Array.from({ length: 20 }, () => ({ payload: order() })) }, authHeaders(bulky));
    expect(huge.status).toBe(429);
    expect(((await huge.json()) as { detail: string }).detail).toMatch(/more than its 1500 per 300 s: send less at once/);
    // Other keys keep the default, far higher.
    expect((await postJson(url(pods[1]!), order(), authHeaders(bystander))).status).toBe(202);
  });

  it('takes a JWT caller\'s own limits from JWT_QUOTA_CLAIM, and refuses a token whose claim is malformed', async () => {
    const small = { authorization: `Bearer ${await jwks.token({ scope: 'publish:>', sub: 'svc-small', extra: { nestjet_quotas: { requests: 3 } } })}` };
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await postJson(url(pods[i % 2]!), order(), small)).status);
    expect(statuses).toEqual([202, 202, 202, 429]);
    const refused = await postJson(url(pods[0]!), order(), small);
    expect(await refused.json()).toMatchObject({ quota: 'requests', limit: 3 });
    // Without the claim, the default (RATE_LIMIT_MAX) applies.
    const plain = { authorization: `Bearer ${await jwks.token({ scope: 'publish:>', sub: 'svc-plain' })}` };
    for (let i = 0; i < 4; i++) expect((await postJson(url(pods[i % 2]!), order(), plain)).status).toBe(202);
    for (const claim of [{ requests: 0 }, { requests: 'many' }, { bandwidth: 5 }, 'unlimited']) {
      const bad = { authorization: `Bearer ${await jwks.token({ scope: 'publish:>', sub: 'svc-bad', extra: { nestjet_quotas: claim } })}` };
      const r = await postJson(url(pods[1]!), order(), { ...bad, 'x-forwarded-for': '192.0.2.44' });
      expect(r.status).toBe(401);
      expect(((await r.json()) as { detail: string }).detail).toMatch(/nestjet_quotas claim/);
    }
  });

  it("counts a caller's pending schedules across pods: 507 past SCHEDULES_MAX_PENDING_PER_CALLER, room again when one falls due or is cancelled", async () => {
    const plan = (pod: Producer, delayMs: number, key = planner) => postJson(url(pod, `?delayMs=${delayMs}`), order(), authHeaders(key));
    const first = await Promise.all([plan(pods[0]!, 600_000), plan(pods[1]!, 600_000), plan(pods[0]!, 1_000)]);
    expect(first.map((r) => r.status)).toEqual([202, 202, 202]);
    const { scheduleId } = (await first[0]!.json()) as { scheduleId: string };
    const refused = await plan(pods[1]!, 600_000);
    expect(refused.status).toBe(507);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.json()).toMatchObject({ status: 507, stream: 'SCHEDULES', quota: 'schedules-per-caller', limit: 3 });
    // Another caller schedules as before.
    expect((await plan(pods[0]!, 600_000, bystander)).status).toBe(202);
    // The 1 s schedule falls due: its place comes back without anyone taking it off.
    await waitFor('room after a schedule fell due', async () => (await plan(pods[0]!, 600_000)).status === 202);
    expect((await plan(pods[1]!, 600_000)).status).toBe(507);
    // A cancelled schedule gives its place back too.
    expect((await fetch(`${pods[1]!.url}/v1/schedules/${scheduleId}`, { method: 'DELETE', headers: authHeaders(planner) })).status).toBe(200);
    expect((await plan(pods[0]!, 600_000)).status).toBe(202);
    expect((await plan(pods[1]!, 600_000)).status).toBe(507);
  });

  it("counts a caller's pending schedule bytes across pods in 4 KiB units: 507 past SCHEDULES_MAX_PENDING_BYTES_PER_CALLER, room again on cancel", async () => {
    const env = { API_KEYS_FILE: keysFile, SCHEDULES_MAX_PENDING_BYTES_PER_CALLER: String(4 * 4096), WARM_UP_REQUESTS: '0' };
    const bytePods = await Promise.all([startProducer(nats, env), startProducer(nats, env)]);
    try {
      // An order of 150 lines is between 4 and 8 KiB: two units; a plain order is one.
      const big = () => order({ lines: Array.from({ length: 150 }, (_, i) => ({ sku: `SKU-${String(i).padStart(16, '0')}`, quantity: 1 })) });
      expect(JSON.stringify(big()).length).toBeGreaterThan(4096);
      expect(JSON.stringify(big()).length).toBeLessThan(8192);
      const plan = (pod: Producer, payload: Record<string, unknown>, key = hoarder) => postJson(url(pod, '?delayMs=600000'), payload, authHeaders(key));
      const stored = [await plan(bytePods[0]!, big()), await plan(bytePods[1]!, big())];
      expect(stored.map((r) => r.status)).toEqual([202, 202]);
      // 4 units held: even a small schedule is one too many, on either pod.
      for (const pod of bytePods) {
        const refused = await plan(pod, order());
        expect(refused.status).toBe(507);
        expect(await refused.json()).toMatchObject({ status: 507, stream: 'SCHEDULES', quota: 'schedules-bytes-per-caller', limit: 4 * 4096 });
      }
      // Another caller is not affected.
      expect((await plan(bytePods[1]!, big(), bystander)).status).toBe(202);
      // Cancelling a big one gives back its two units.
      const { scheduleId } = (await stored[0]!.json()) as { scheduleId: string };
      expect((await fetch(`${bytePods[1]!.url}/v1/schedules/${scheduleId}`, { method: 'DELETE', headers: authHeaders(hoarder) })).status).toBe(200);
      expect((await plan(bytePods[0]!, order())).status).toBe(202);
      expect((await plan(bytePods[1]!, order())).status).toBe(202);
      expect((await plan(bytePods[0]!, order())).status).toBe(507);
    } finally {
      await Promise.all(bytePods.map((p) => p.app.stop()));
    }
  });

  it('refuses schedules past SCHEDULES_MAX_BYTES with 507 naming the quota, and publishing now still works', async () => {
    const capped = await startProducer(nats, { API_KEYS_FILE: keysFile, SCHEDULES_MAX_BYTES: '8192', WARM_UP_REQUESTS: '0' });
    try {
      await fillSchedules(capped);
    } finally {
      await capped.app.stop();
    }
  });

  it('limits refused credentials per address across pods, never a valid credential from that address', async () => {
    const guess = (pod: Producer, address: string, i: number) =>
      postJson(url(pod), order(), { authorization: `Bearer nj_guess-${address}-${i}`, 'x-forwarded-for': address });
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await guess(pods[i % 2]!, '203.0.113.7', i)).status);
    // The budget is 5; each pod may grant one more before it learns the other's count.
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(7);
    expect(statuses.slice(-5)).toEqual([429, 429, 429, 429, 429]);
    const refused = await guess(pods[0]!, '203.0.113.7', 99);
    expect(await refused.json()).toMatchObject({ status: 429, quota: 'auth-failures', limit: 5 });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // No credential at all counts the same.
    expect((await fetch(`${pods[1]!.url}/v1/topics`, { headers: { 'x-forwarded-for': '203.0.113.7' } })).status).toBe(429);

    // The address's good caller is checked first and never limited by the guesser's failures; another address has its own budget.
    expect((await postJson(url(pods[0]!), order(), { ...authHeaders(bystander), 'x-forwarded-for': '203.0.113.7' })).status).toBe(202);
    expect((await guess(pods[1]!, '198.51.100.4', 0)).status).toBe(401);
  });
});

/** Schedules until `capped` refuses with 507 for SCHEDULES_MAX_BYTES; then publishing now still works. */
async function fillSchedules(capped: Producer): Promise<void> {
  const url = (query = '') => `${capped.url}/v1/topics/orders.created/messages${query}`;
  let full: Response | undefined;
  // The cap is checked against SCHEDULES' size as read at most once a second: keep scheduling until a read sees it full.
  for (let i = 0; i < 10_000 && !full; i++) {
    const r = await postJson(url('?delayMs=3600000'), order(), authHeaders(scheduler));
    expect([202, 507]).toContain(r.status);
    if (r.status === 507) full = r;
    else await r.body?.cancel();
  }
  expect(full).toBeDefined();
  expect(Number(full!.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(await full!.json()).toMatchObject({ status: 507, type: 'urn:nestjet:problem:stream-full', stream: 'SCHEDULES', quota: 'schedules-bytes', limit: 8192 });
  expect((await postJson(url(), order(), authHeaders(scheduler))).status).toBe(202);
}
