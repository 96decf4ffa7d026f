import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';
import { ROOT } from './paths.js';

/** Headless Chromium as CI runs it: in a container (no sandbox, no GPU) and without background traffic to Google. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Debian's `chromium` (what `npm test` installs when missing); `CHROMIUM_PATH` overrides. */
export function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('chromium not found: install the Debian package `chromium` (npm test does) or set CHROMIUM_PATH');
  }
}

/** Playwright (playwright-core, no bundled browser) driving the system Chromium, headless. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/**
 * Everything a page reports as broken: `console.error` calls, uncaught
 * exceptions and unhandled rejections, resource loads the browser logs as
 * failed (CSP violations included). A test asserts `errors` is empty.
 *
 * Chromium logs "Failed to load resource: … status of 401" for every HTTP
 * error response a page receives, even a handled one; a test names the ones
 * it provokes on purpose with `allowHttpError` (a wrong key → 401 on whoami).
 */
export class PageErrors {
  readonly errors: string[] = [];
  private readonly allowed: { status: number; path: RegExp }[] = [];

  constructor(page: Page) {
    page.on('console', (m) => this.onConsole(m));
    page.on('pageerror', (e) => this.errors.push(`uncaught: ${e.stack ?? e.message}`));
    page.on('crash', () => this.errors.push('the page crashed'));
  }

  /** An HTTP error status the test provokes on purpose at a path matching `path` (matched against the URL's pathname). */
  allowHttpError(status: number, path: RegExp): this {
    this.allowed.push({ status, path });
    return this;
  }

  private onConsole(m: ConsoleMessage): void {
    if (m.type() !== 'error') return;
    const text = m.text();
    const url = m.location().url;
    const status = /status of (\d{3})/.exec(text)?.[1];
    if (status && url) {
      const pathname = new URL(url).pathname;
      if (this.allowed.some((a) => a.status === Number(status) && a.path.test(pathname))) return;
    }
    this.errors.push(`console.error: ${text}${url ? ` (at ${url})` : ''}`);
  }
}

/** Starts collecting the errors of `page`; call before navigating. */
export function collectErrors(page: Page): PageErrors {
  return new PageErrors(page);
}

/** Where the browser tests write their screenshots (git-ignored, under .data/). */
export const CONSOLE_TEST_OUTPUT = join(ROOT, '.data', 'test-output', 'console');

/** Path of the PNG `name` in the test output directory, which is created on demand. */
export function screenshotPath(name: string, dir = CONSOLE_TEST_OUTPUT): string {
  mkdirSync(dir, { recursive: true });
  return join(dir, `${name.replace(/[^A-Za-z0-9._-]+/g, '-')}.png`);
}
