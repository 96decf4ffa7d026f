import type { Locator, Page } from 'playwright-core';
import { screenshotPath } from './browser.js';

// The console's controls as its contract names them (roles, labels, text), never CSS classes.

export const heading = (page: Page, name: string): Locator => page.getByRole('heading', { name, exact: true });
export const button = (scope: Page | Locator, name: string): Locator => scope.getByRole('button', { name, exact: true });
export const navLink = (page: Page, name: string): Locator => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });

/** A full-page screenshot into the test output (`.data/test-output/console/<name>.png`). */
export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: screenshotPath(name), fullPage: true });
}

/** Signs in at `consoleUrl` by keyboard (Enter in the field submits the form) and waits for the overview. */
export async function signIn(page: Page, consoleUrl: string, credential: string): Promise<void> {
  await page.goto(consoleUrl);
  await heading(page, 'Sign in').waitFor();
  await button(page, 'Sign in').waitFor();
  const field = page.getByLabel('API key or JWT', { exact: true });
  await field.fill(credential);
  await field.press('Enter');
  await heading(page, 'Overview').waitFor();
}

/** Fills a labelled control whether the UI made it an input, a textarea or a select. */
export async function setField(field: Locator, value: string): Promise<void> {
  const tag = await field.evaluate((el: { tagName: string }) => el.tagName);
  if (tag === 'SELECT') await field.selectOption(value);
  else await field.fill(value);
}

/** The number a page shows in the `<dd>` after the `<dt>` named `term` (e.g. "Pending" on the consumer page). */
export async function shownNumber(page: Page, term: string): Promise<number> {
  const text = await page.locator('dt').filter({ hasText: new RegExp(`^\\s*${term}\\s*$`) }).locator('xpath=following-sibling::dd[1]').textContent({ timeout: 5_000 });
  const digits = (text ?? '').replace(/[^\d]/g, '');
  if (digits === '') throw new Error(`${term} shows no number: ${JSON.stringify(text)}`);
  return Number(digits);
}
