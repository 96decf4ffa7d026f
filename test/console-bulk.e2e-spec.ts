import { describe, expect, it } from '@jest/globals';
import {
  authHeaders,
  button,
  heading,
  navLink,
  publishPoisonOrder,
  setField,
  shot,
  signIn,
  TEST_API_KEY,
  waitFor,
} from '#test-support';
import { consoleSession } from './support/console-session.js';

/**
 * The console's destructive dead-letter actions in Chromium: bulk replay and
 * bulk purge count with a dry run first and act only on confirmation; a single
 * purge asks too. A subject no other suite uses keeps the counts exact.
 */
describe('operations console: bulk replay, bulk purge and purge in a real browser', () => {
  const session = consoleSession();
  const subject = 'orders.created.apac.std';

  /** fulfillment's records of `subject`, once there are `count` of them. */
  const records = (count: number) =>
    waitFor(`${count} dead letter(s) of ${subject}`, async () => {
      const r = await fetch(`${session.system.producer.url}/v1/dlq?consumer=fulfillment&subject=${subject}&limit=500`, { headers: authHeaders() });
      const { items } = (await r.json()) as { items: { id: number; replay: { state: string } | null }[] };
      return items.length === count ? items : null;
    }, 20_000, 200);

  it('replays and purges what the filter matches after showing the dry-run count, and purges one record on confirmation', async () => {
    for (const orderId of ['bulk-1', 'bulk-2']) await publishPoisonOrder(session.system.nats, orderId, subject);
    await records(2);

    const page = await session.openPage();
    await signIn(page, session.consoleUrl, TEST_API_KEY.key);
    await navLink(page, 'Dead letters').click();
    await heading(page, 'Dead letters').waitFor();
    await setField(page.getByLabel('Consumer', { exact: true }), 'fulfillment');
    await setField(page.getByLabel('Subject', { exact: true }), subject);
    await button(page, 'Apply filters').click();

    await button(page, 'Replay matching…').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('2 dead letters match.', { exact: false }).waitFor();
    await shot(page, '07-bulk-replay-dry-run');
    await button(dialog, 'Confirm replay').click();
    await page.getByText('Replayed 2 of 2 matching', { exact: false }).waitFor();
    // The replays are the same invalid orders: each fails again into a record of its own.
    const after = await records(4);
    expect(after.filter((r) => r.replay?.state === 'done')).toHaveLength(2);

    const one = after.find((r) => r.replay === null)!;
    await page.goto(`${session.consoleUrl}#/dlq/${one.id}`);
    await heading(page, `Dead letter #${one.id}`).waitFor();
    await button(page, 'Purge').click();
    await button(page.getByRole('dialog'), 'Confirm purge').click();
    await heading(page, 'Dead letters').waitFor();
    expect((await fetch(`${session.system.producer.url}/v1/dlq/${one.id}`, { headers: authHeaders() })).status).toBe(404);

    await setField(page.getByLabel('Consumer', { exact: true }), 'fulfillment');
    await setField(page.getByLabel('Subject', { exact: true }), subject);
    await button(page, 'Apply filters').click();
    await button(page, 'Purge matching…').click();
    await page.getByRole('dialog').getByText('3 dead letters match.', { exact: false }).waitFor();
    await button(page.getByRole('dialog'), 'Confirm purge').click();
    await page.getByText('Purged 3 of 3 matching', { exact: false }).waitFor();
    await shot(page, '07-bulk-purged');
    await records(0);
    expect(session.errors.errors).toEqual([]);
  });
});
