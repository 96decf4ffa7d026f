import type { NatsConnectionOptions } from './nats-connection.js';

function parseServer(server: string): URL | null {
  try {
    return new URL(/^[a-z]+:\/\//i.test(server) ? server : `nats://${server}`);
  } catch {
    return null;
  }
}

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/**
 * Whether the client encrypts: nats.js upgrades to TLS when TLS options are
 * set (connectNats sets them for `tls://` URLs), WebSockets only with wss://.
 */
export function usesTls(options: Pick<NatsConnectionOptions, 'servers' | 'tls'>, url: URL): boolean {
  if (url.protocol === 'wss:') return true;
  if (url.protocol === 'ws:') return false;
  return options.tls !== undefined || options.servers.some((s) => /^tls:\/\//i.test(s));
}

/**
 * Password or token authentication sent in plaintext to a host other than
 * this machine, one problem per server; empty when allowed explicitly. The
 * problems name hosts, never credentials. Creds files (NKey signatures) send
 * no secret and are not refused.
 */
export function plaintextAuthProblems(options: NatsConnectionOptions): string[] {
  if (options.allowPlaintextAuth) return [];
  const problems: string[] = [];
  for (const server of options.servers) {
    const url = parseServer(server);
    if (!url) continue;
    const secret = Boolean(options.pass || options.token || url.username || url.password);
    if (!secret || usesTls(options, url) || isLoopbackHost(url.hostname)) continue;
    problems.push(
      `NATS password/token authentication would travel in plaintext to ${url.protocol}//${url.host}: ` +
        'use a tls:// URL or NATS_TLS_CA, or allow it explicitly with NATS_ALLOW_PLAINTEXT_AUTH=true',
    );
  }
  return problems;
}
