import { beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type { DeadLetter as DeadLetterRecord } from '#jetstream';
import type { Page } from 'playwright-core';
import {
  type AppProcess,
  authHeaders,
  button,
  heading,
  inspect,
  type Jaeger,
  lastSeq,
  navLink,
  type NatsServer,
  order,
  postJson,
  processed,
  type Producer,
  publishPoisonOrder,
  setField,
  shot,
  shownNumber,
  signIn,
  TEST_API_KEY,
  testKey,
  waitFor,
  writeApiKeysFile,
} from '#test-support';
import { consoleSession } from './support/console-session.js';

/** A record of GET /v1/dlq as JSON; the payloads these tests dead-letter are objects. */
type DeadLetter = Omit<DeadLetterRecord, 'payload'> & { payload: Record<string, unknown> };

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const SERVICES = ['nestjet-consumer', 'nestjet-producer'];

/**
 * The operations console (/console/) in a real Chromium against the real
 * stack: NATS, provisioned topology, producer (serving the console and the
 * API, proxying Jaeger), consumer, Jaeger. The UI is driven only by the
 * accessible names the console contract fixes (roles, labels, text),
 * never by CSS classes.
 */
describe('operations console in a real browser', () => {
  /** The operator's credential, typed into the sign-in form (the test process's own key stays for setup calls). */
  const operatorKey = testKey('console-operator', ['ops:read', 'consumers:manage', 'dlq:read', 'dlq:replay', 'dlq:purge', 'topics:read', 'publish:>', 'audit:read']);
  const session = consoleSession({
    API_KEYS_FILE: writeApiKeysFile([TEST_API_KEY, operatorKey]),
    JAEGER_UI_URL: 'https://jaeger.example.test',
    // Samples a little faster than the default 2 s, so pending counts move within the bounded waits sooner.
    OPS_SAMPLE_INTERVAL_MS: '1000',
  });
  let nats: NatsServer;
  let jaeger: Jaeger;
  let producer: Producer;
  let consumer: AppProcess;

  beforeAll(() => {
    ({ nats, jaeger, producer, consumer } = session.system);
  });
  const signInAs = (page: Page, credential = operatorKey.key) => signIn(page, session.consoleUrl, credential);

  async function api<T>(path: string): Promise<T> {
    const r = await fetch(`${producer.url}${path}`, { headers: authHeaders(operatorKey) });
    if (!r.ok) throw new Error(`GET ${path} → ${r.status}: ${await r.text()}`);
    return (await r.json()) as T;
  }

  /** The fulfillment consumer's dead letters of `orderId`, once `count` exist. */
  const deadLettersOf = (orderId: string, count = 1) =>
    waitFor(`${count} dead letter(s) of ${orderId} for fulfillment`, async () => {
      const { items } = await api<{ items: DeadLetter[] }>('/v1/dlq?consumer=fulfillment&limit=500');
      const mine = items.filter((i) => i.payload?.orderId === orderId);
      return mine.length >= count ? mine : null;
    }, 20_000, 200);


  const shownPending = (page: Page) => shownNumber(page, 'Pending');

  it('asks to sign in, refuses a wrong key and unauthenticated API calls, sends security headers, and keeps the credential only in memory', async () => {
    const page = await session.openPage();
    // Provoked on purpose below: the wrong key's sign-in attempt and the credential-less fetch.
    session.errors.allowHttpError(401, /^\/v1\/ops\//);

    const response = await page.goto(session.consoleUrl);
    expect(response!.status()).toBe(200);
    expect(response!.headers()['content-type']).toMatch(/^text\/html/);
    const csp = response!.headers()['content-security-policy'] ?? '';
    expect(csp).toMatch(/default-src/);
    expect(csp).toMatch(/script-src/);
    const xfo = response!.headers()['x-frame-options'];
    expect(xfo === 'DENY' || xfo === 'SAMEORIGIN' || /frame-ancestors\s+('none'|'self')/.test(csp)).toBe(true);

    await heading(page, 'Sign in').waitFor();
    await expect(navLink(page, 'Dead letters').count()).resolves.toBe(0);
    await shot(page, '01-sign-in');

    await page.getByLabel('API key or JWT', { exact: true }).fill('nj_this-is-not-a-key');
    await button(page, 'Sign in').click();
    await page.getByRole('alert').first().waitFor();
    await heading(page, 'Sign in').waitFor();
    await shot(page, '01-sign-in-refused');

    // The API behind the console refuses a call without a credential (same origin, no cookies to ride on).
    const unauthenticated = await page.evaluate(async () => {
      const r = await fetch('/v1/ops/overview');
      return { status: r.status, type: r.headers.get('content-type') };
    });
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.type).toMatch(/problem\+json/);

    await page.getByLabel('API key or JWT', { exact: true }).fill(operatorKey.key);
    await button(page, 'Sign in').click();
    await heading(page, 'Overview').waitFor();

    // Nothing persistent in the browser holds the credential, nor the address bar.
    const stored = (await page.evaluate(
      '({ local: JSON.stringify(Object.entries(localStorage)), session: JSON.stringify(Object.entries(sessionStorage)), cookie: document.cookie, href: location.href })',
    )) as { local: string; session: string; cookie: string; href: string };
    for (const where of Object.values(stored)) expect(where).not.toContain(operatorKey.key);
    expect(page.url()).not.toContain(operatorKey.key);
    expect(JSON.stringify(await session.context!.cookies())).not.toContain(operatorKey.key);
    expect(await session.context!.cookies()).toEqual([]);

    await page.reload();
    await heading(page, 'Sign in').waitFor();
    await expect(heading(page, 'Overview').count()).resolves.toBe(0);

    expect(session.errors.errors).toEqual([]);
  });

  it('shows the ORDERS stream, its consumers and the health of the system on the overview', async () => {
    const page = await session.openPage();
    await signInAs(page);

    const streams = page.getByRole('table', { name: 'Streams' });
    await streams.getByRole('cell', { name: 'ORDERS' }).first().waitFor();
    const consumers = page.getByRole('table', { name: 'Consumers' });
    for (const name of ['fulfillment', 'notifications', 'fraud-review']) await consumers.getByRole('link', { name, exact: true }).waitFor();
    await heading(page, 'Health').waitFor();
    // Every durable's worker (the consumer process, the DLQ router in it) announces itself within a beacon period.
    await page.getByText(/0 workers bound/).first().waitFor({ state: 'detached', timeout: 15_000 });
    // At 1280 px both tables fit their panels: nothing to scroll sideways.
    const overflowing = await page.evaluate("[...document.querySelectorAll('table')].filter((t) => t.parentElement.scrollWidth > t.parentElement.clientWidth).length");
    expect(overflowing).toBe(0);
    await shot(page, '02-overview');

    expect(session.errors.errors).toEqual([]);
  });

  it('lists a poison message under Dead letters, filters it by reason, refuses an invalid edit inline, replays a fixed one that the consumer processes', async () => {
    const orderId = 'poison-1';
    const { seq } = await publishPoisonOrder(nats, orderId);
    const [record] = await deadLettersOf(orderId);
    expect(record!.streamSequence).toBe(seq);
    expect(record!.replay).toBeNull();

    // A viewer far from UTC: times must be shown in their zone.
    const viewerZone = 'Pacific/Auckland';
    const page = await session.openPage(undefined, viewerZone);
    // Provoked on purpose below: the invalid edit's replay is refused.
    session.errors.allowHttpError(400, new RegExp(`^/v1/dlq/${record!.id}/replay$`));
    session.errors.allowHttpError(422, new RegExp(`^/v1/dlq/${record!.id}/replay$`));
    await signInAs(page);
    await navLink(page, 'Dead letters').click();
    await heading(page, 'Dead letters').waitFor();
    const table = page.getByRole('table', { name: 'Dead letters' });
    const row = table.getByRole('link', { name: `#${record!.id}`, exact: true });
    await row.waitFor();

    // Filters: by consumer and reason text it stays; by a reason nobody has it goes.
    await setField(page.getByLabel('Consumer', { exact: true }), 'fulfillment');
    await setField(page.getByLabel('Reason contains', { exact: true }), 'no such reason anywhere');
    await button(page, 'Apply filters').click();
    await row.waitFor({ state: 'detached' });
    await setField(page.getByLabel('Reason contains', { exact: true }), 'validation');
    await button(page, 'Apply filters').click();
    await row.waitFor();
    await shot(page, '03-dead-letters-filtered');

    await row.click();
    await heading(page, `Dead letter #${record!.id}`).waitFor();
    for (const section of ['Original headers', 'Reason', 'Attempts']) await heading(page, section).waitFor();
    const firstFailure = new Date(record!.firstFailureAt).toLocaleString('en-US', { timeZone: viewerZone });
    await page.getByText(firstFailure, { exact: true }).first().waitFor();
    const editor = page.getByLabel('Payload (JSON)', { exact: true });
    expect(JSON.parse(await editor.inputValue())).toEqual({ orderId, amount: 'lots' });
    await shot(page, '03-dead-letter-record');

    // An edit that is still invalid: the field errors show next to the editor and nothing is replayed.
    const before = await lastSeq(nats, 'ORDERS');
    const fixed = { orderId, customerId: 'cus-console', amount: 25, currency: 'EUR', region: 'eu' };
    await editor.fill(JSON.stringify({ ...fixed, amount: 'still lots' }, null, 2));
    await button(page, 'Replay').click();
    await page.getByRole('alert').filter({ hasText: 'amount' }).first().waitFor();
    await shot(page, '03-dead-letter-invalid-edit');
    expect(await lastSeq(nats, 'ORDERS')).toBe(before);
    expect((await api<DeadLetter>(`/v1/dlq/${record!.id}`)).replay).toBeNull();

    // Fixed: replayed, the record says so, and the failed consumer processes it.
    await editor.fill(JSON.stringify(fixed, null, 2));
    await button(page, 'Replay').click();
    await page.getByText(/Replayed/).first().waitFor();
    const replay = (await api<DeadLetter>(`/v1/dlq/${record!.id}`)).replay;
    expect(replay).toMatchObject({ stream: 'ORDERS', edited: true });
    await waitFor('the consumer to process the replayed order', () =>
      processed([consumer], 'fulfillment').find((p) => p.orderId === orderId && p.seq === replay!.seq),
    );
    await shot(page, '03-dead-letter-replayed');

    expect(session.errors.errors).toEqual([]);
  });

  it('pauses a consumer with confirmation: its pending count and chart rise while orders arrive; resuming drains it', async () => {
    const page = await session.openPage();
    await signInAs(page);
    await page.getByRole('table', { name: 'Consumers' }).getByRole('link', { name: 'fulfillment', exact: true }).click();
    await heading(page, 'Consumer fulfillment').waitFor();
    await heading(page, 'Configuration').waitFor();
    const chart = page.getByRole('figure', { name: 'Lag and rate, last 15 minutes' });
    await chart.waitFor();
    await waitFor('the page to show pending 0', async () => (await shownPending(page)) === 0, 15_000, 250);

    try {
      // Keyboard: the dialog opens from the focused button, Escape closes it and nothing is paused.
      await button(page, 'Pause').focus();
      await page.keyboard.press('Enter');
      const pauseDialog = page.getByRole('dialog');
      await button(pauseDialog, 'Confirm pause').waitFor();
      await page.keyboard.press('Escape');
      await button(pauseDialog, 'Confirm pause').waitFor({ state: 'hidden' });
      expect((await api<{ paused: boolean }>('/v1/ops/consumers/ORDERS/fulfillment')).paused).toBe(false);
      await button(page, 'Pause').click();
      await button(pauseDialog, 'Confirm pause').click();
      await page.getByText(/Paused until/).first().waitFor();
      await button(page, 'Resume').waitFor();
      expect((await api<{ paused: boolean }>('/v1/ops/consumers/ORDERS/fulfillment')).paused).toBe(true);

      const ids: string[] = [];
      for (let i = 0; i < 50; i++) {
        const o = order({ amount: 10 + i });
        ids.push(String(o.orderId));
        const r = await postJson(`${producer.url}/v1/topics/orders.created/messages`, o);
        expect(r.status).toBe(202);
      }
      await waitFor('the page to show 50 pending', async () => (await shownPending(page)) >= 50, 20_000, 250);
      // The chart is drawn from the consumer's history: it holds the backlog, and the canvas is not blank.
      const detail = await api<{ history: { pending: (number | null)[] } }>('/v1/ops/consumers/ORDERS/fulfillment');
      expect(Math.max(...detail.history.pending.map((n) => n ?? 0))).toBeGreaterThanOrEqual(50);
      const painted = await chart.locator('canvas').first().evaluate((c: { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } }) => {
        const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
        let n = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
        return n;
      });
      expect(painted).toBeGreaterThan(0);
      await shot(page, '04-consumer-paused');

      await button(page, 'Resume').click();
      await button(page.getByRole('dialog'), 'Confirm resume').click();
      await button(page, 'Pause').waitFor();
      await waitFor('the page to show the backlog drained to 0', async () => (await shownPending(page)) === 0, 30_000, 250);
      // Pending counts undelivered messages; the last deliveries' log lines may still be on their way.
      await waitFor('the consumer to process all 50 orders', () => {
        const done = new Set(processed([consumer], 'fulfillment').map((p) => p.orderId));
        return ids.every((id) => done.has(id));
      }, 15_000);
      await shot(page, '04-consumer-resumed');
    } finally {
      // Never leave fulfillment paused for the tests after this one.
      await postJson(`${producer.url}/v1/ops/consumers/ORDERS/fulfillment/resume`, {}, authHeaders(operatorKey));
    }

    expect(session.errors.errors).toEqual([]);
  });

  it('shows the pause and resume in the audit trail, filters it by action, and says the chain is intact', async () => {
    const page = await session.openPage();
    await signInAs(page);
    await navLink(page, 'Audit').click();
    await heading(page, 'Audit trail').waitFor();
    await page.getByRole('status').filter({ hasText: /Intact/ }).waitFor();
    const rows = page.getByRole('table', { name: /Audit records/ }).getByRole('row');
    await rows.filter({ hasText: 'consumer.pause' }).filter({ hasText: 'key:console-operator' }).first().waitFor();
    await page.getByLabel('Action').selectOption('consumer.resume');
    await button(page, 'Apply filters').click();
    await rows.filter({ hasText: 'consumer.resume' }).first().waitFor();
    await waitFor('only resumes to be listed', async () => (await rows.filter({ hasText: 'consumer.pause' }).count()) === 0, 10_000, 200);
    await shot(page, '05-audit');
    expect(session.errors.errors).toEqual([]);
  });

  it('publishes an order from the generated form, and shows the trace of a dead letter across both services', async () => {
    const page = await session.openPage();
    await signInAs(page);

    await navLink(page, 'Publish').click();
    await heading(page, 'Publish').waitFor();
    await setField(page.getByLabel('Topic', { exact: true }), 'orders.created');
    const orderId = `console-${hex(4)}`;
    // One control per top-level field of OrderCreatedDto, named by the field, of the kind its schema asks for
    // (found by accessible name: getByLabel would also read the required marker the label hides from it).
    const fields: Record<string, [role: 'textbox' | 'spinbutton' | 'combobox', value: string]> = {
      orderId: ['textbox', orderId],
      customerId: ['textbox', 'cus-console'],
      amount: ['spinbutton', '42.5'],
      currency: ['combobox', 'EUR'],
      region: ['combobox', 'eu'],
      lines: ['textbox', JSON.stringify([{ sku: 'SKU-1', quantity: 2 }])],
    };
    for (const [name, [role, value]] of Object.entries(fields)) await setField(page.getByRole(role, { name, exact: true }), value);
    await button(page, 'Publish').click();
    const status = page.getByRole('status').filter({ hasText: /Stored in ORDERS #\d+/ });
    await status.waitFor();
    const seq = Number(/#(\d+)/.exec((await status.textContent())!)![1]);
    await shot(page, '05-publish');
    const { nc, jsm } = await inspect(nats);
    try {
      const stored = await jsm.streams.getMessage('ORDERS', { seq });
      expect(stored!.json()).toEqual({ orderId, customerId: 'cus-console', amount: 42.5, currency: 'EUR', region: 'eu', lines: [{ sku: 'SKU-1', quantity: 2 }] });
    } finally {
      await nc.close();
    }
    await waitFor('the consumer to process the published order', () => processed([consumer], 'fulfillment').find((p) => p.orderId === orderId));

    // A poison replayed unchanged (the "Replay" button with the payload untouched) fails again: the new dead
    // letter's trace holds the producer's replay and the consumer's failed processing.
    const poisonId = 'poison-trace';
    await publishPoisonOrder(nats, poisonId);
    const [first] = await deadLettersOf(poisonId);
    // A hash route: the same document, so the in-memory sign-in stays.
    await page.evaluate(`location.hash = '#/dlq/${first!.id}'`);
    await heading(page, `Dead letter #${first!.id}`).waitFor();
    await button(page, 'Replay').click();
    await page.getByText(/Replayed/).first().waitFor();
    const again = (await deadLettersOf(poisonId, 2)).find((r) => r.id !== first!.id)!;
    expect(again.traceId).toMatch(/^[0-9a-f]{32}$/);
    const traceId = again.traceId!;
    await waitFor(`Jaeger to hold spans of both services in trace ${traceId}`, async () => {
      const t = await jaeger.trace(traceId);
      const services = new Set(Object.values(t?.processes ?? {}).map((p) => p.serviceName));
      return SERVICES.every((s) => services.has(s));
    }, 20_000, 250);

    await navLink(page, 'Dead letters').click();
    await page.getByRole('table', { name: 'Dead letters' }).getByRole('link', { name: `#${again.id}`, exact: true }).click();
    await heading(page, `Dead letter #${again.id}`).waitFor();
    await page.getByRole('link', { name: 'View trace', exact: true }).click();
    await heading(page, `Trace ${traceId}`).waitFor();
    const spans = page.getByRole('listitem');
    for (const service of SERVICES) await spans.filter({ hasText: service }).first().waitFor();
    await spans.filter({ hasText: /replay orders\.created\.eu\.std/ }).first().waitFor();
    await spans.filter({ hasText: /process orders\.created\.eu\.std/ }).first().waitFor();
    expect(await page.getByRole('link', { name: 'Open in Jaeger', exact: true }).getAttribute('href')).toContain(traceId);
    await shot(page, '05-trace');

    expect(session.errors.errors).toEqual([]);
  });

  it('is usable 390 px wide: overview and dead letters without horizontal overflow', async () => {
    const width = 390;
    const page = await session.openPage({ width, height: 844 });
    await signInAs(page);
    const overflow = async () => Number(await page.evaluate('document.documentElement.scrollWidth'));

    await page.getByRole('table', { name: 'Consumers' }).getByRole('link', { name: 'fulfillment', exact: true }).waitFor();
    await heading(page, 'Health').waitFor();
    expect(await overflow()).toBeLessThanOrEqual(width);
    await shot(page, '06-overview-390');

    await navLink(page, 'Dead letters').click();
    await heading(page, 'Dead letters').waitFor();
    await page.getByRole('table', { name: 'Dead letters' }).getByRole('link').first().waitFor();
    await button(page, 'Apply filters').waitFor();
    expect(await overflow()).toBeLessThanOrEqual(width);
    await shot(page, '06-dead-letters-390');

    expect(session.errors.errors).toEqual([]);
  });
});
