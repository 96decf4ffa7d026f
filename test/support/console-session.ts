import { afterAll, afterEach, beforeAll } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { collectErrors, launchChromium, type PageErrors } from './browser.js';
import { startTracedSystem, type TracedSystem } from './traced-system.js';

/** The console suites' stack and browser: what each test opens its page from. */
export interface ConsoleSession {
  readonly system: TracedSystem;
  /** `/console/` on the system's producer. */
  readonly consoleUrl: string;
  /** The browser context of the test's page (closed after each test); undefined before `openPage`. */
  readonly context: BrowserContext | undefined;
  /** What went wrong on the test's page (console errors, failed requests). */
  readonly errors: PageErrors;
  /** A fresh context (no memory of earlier sign-ins) and its page, collecting errors. */
  openPage(viewport?: { width: number; height: number }, timezoneId?: string): Promise<Page>;
}

/**
 * Starts the traced system (NATS, Jaeger, producer, consumer; `producerEnv`
 * for the producer) and Chromium once for the enclosing `describe`, stops
 * both after it, and closes each test's browser context after the test.
 * Call it at the top of the `describe`, before hooks that read `system`. Imported
 * by path, not from the support index: jest hooks exist only inside jest.
 */
export function consoleSession(producerEnv: Record<string, string> = {}): ConsoleSession {
  let system: TracedSystem | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let errors: PageErrors | undefined;

  beforeAll(async () => {
    [system, browser] = await Promise.all([startTracedSystem(producerEnv), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await system?.stop();
  });
  afterEach(async () => {
    await context?.close();
    context = undefined;
  });

  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the console session has no ${what} yet (read it inside a test or a later hook)`);
    return value;
  };
  return {
    get system() {
      return started(system, 'system');
    },
    get consoleUrl() {
      return `${started(system, 'system').producer.url}/console/`;
    },
    get context() {
      return context;
    },
    get errors() {
      return started(errors, 'page');
    },
    async openPage(viewport = { width: 1280, height: 900 }, timezoneId?: string) {
      context = await started(browser, 'browser').newContext({ viewport, timezoneId, locale: 'en-US' });
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      errors = collectErrors(page);
      return page;
    },
  };
}
