import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoggerService } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import fastifyStatic from '@fastify/static';
import type { ProducerEnvironment } from '../config/producer.environment.js';

export const CONSOLE_PREFIX = '/console/';
/** Where `npm run build` puts the console (Vite, apps/console): dist/apps/console beside dist/apps/producer. */
export const CONSOLE_ROOT = fileURLToPath(new URL('../../../console/', import.meta.url));

/**
 * The page may run only its own script and style, talk only to this origin,
 * and never be framed: an injected payload or header value cannot run, and
 * clickjacking cannot drive its buttons. Styles set from script (charts) are
 * not inline markup, so `style-src 'self'` allows them.
 */
export const CONSOLE_SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

/** The console's own files, public (they hold no data; every API call carries the viewer's credential). */
export function isConsolePath(path: string): boolean {
  return path === '/console' || path.startsWith(CONSOLE_PREFIX);
}

/**
 * Serves the operations console's static files at /console/ with
 * @fastify/static, registered on Fastify itself (Nest's useStaticAssets types
 * `setHeaders` for an older @fastify/static). Hashed assets are cached for
 * good; index.html never, so a new build is picked up on reload.
 */
export async function serveConsole(app: NestFastifyApplication, env: ProducerEnvironment, logger: LoggerService): Promise<boolean> {
  if (!env.CONSOLE_ENABLED) return false;
  if (!existsSync(join(CONSOLE_ROOT, 'index.html'))) {
    logger.warn({ event: 'console.not-built', root: CONSOLE_ROOT, msg: 'the console is not built (npm run build); /console/ answers 404' });
    return false;
  }
  await app.register(fastifyStatic, {
    root: CONSOLE_ROOT,
    prefix: CONSOLE_PREFIX,
    decorateReply: false,
    index: ['index.html'],
    cacheControl: false,
    setHeaders: (reply, path) => {
      for (const [name, value] of Object.entries(CONSOLE_SECURITY_HEADERS)) reply.header(name, value);
      reply.header('cache-control', path.includes(`${join('console', 'assets')}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  // Relative asset URLs need the trailing slash.
  app.getHttpAdapter().getInstance().get('/console', (_request, reply) => reply.redirect(CONSOLE_PREFIX, 301));
  return true;
}
