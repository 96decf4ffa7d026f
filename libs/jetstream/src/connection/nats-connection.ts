import { readFileSync } from 'node:fs';
import type { LoggerService } from '@nestjs/common';
import { connect, credsAuthenticator, type NatsConnection, type TlsOptions } from '@nats-io/transport-node';
import { ConfigurationError } from '../config/validate-environment.js';
import { plaintextAuthProblems } from './transport-security.js';

/** How to reach and authenticate to NATS; plain options, whatever they were read from. */
export interface NatsConnectionOptions {
  servers: string[];
  user?: string;
  pass?: string;
  token?: string;
  /** Path of a `.creds` file (JWT + NKey seed). */
  credsFile?: string;
  /** CA, client certificate and key files (mTLS); when set the client requires TLS. */
  tls?: Pick<TlsOptions, 'caFile' | 'certFile' | 'keyFile'>;
  /** Replies arrive under this prefix: the user's own inbox (see `natsInboxPrefix`). */
  inboxPrefix?: string;
  /** Allow a password or token over plain `nats://` to a host other than this machine. */
  allowPlaintextAuth?: boolean;
}

/**
 * Connects with unlimited reconnects (the nats.js default of 10 attempts would
 * leave a pod alive but deaf after a longer broker outage) and keeps trying
 * when the first connect fails, so pods can start before NATS is up.
 * Refuses (ConfigurationError) to send a password or token in plaintext over
 * the network unless `allowPlaintextAuth`.
 */
export async function connectNats(options: NatsConnectionOptions, name: string, logger?: LoggerService): Promise<NatsConnection> {
  const problems = plaintextAuthProblems(options);
  if (problems.length > 0) throw new ConfigurationError(problems);
  // nats.js only insists on TLS when TLS options are given; a tls:// URL alone would still accept a plaintext server.
  const tls = options.tls ?? (options.servers.some((s) => /^tls:\/\//i.test(s)) ? {} : undefined);
  const nc = await connect({
    servers: options.servers,
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    // A silently dead link (a partitioned server) is only noticed by missed pings; the
    // 2-minute default kept publishes failing for the whole cut plus a minute (docs/reliability.md).
    pingInterval: 5_000,
    maxPingOut: 2,
    waitOnFirstConnect: true,
    authenticator: options.credsFile ? credsAuthenticator(readFileSync(options.credsFile)) : undefined,
    user: options.user,
    pass: options.pass,
    token: options.token,
    tls,
    inboxPrefix: options.inboxPrefix,
    // nats.js otherwise builds a RequestError and a TimeoutError (stack captured, source-mapped) up front for
    // every request, to show the caller's stack if it fails: 16 % of the example consumer's CPU (KV markers,
    // stock reservations, ackAck). The errors keep their messages; only the caller's frames are lost.
    noAsyncTraces: true,
  });
  trackConnectionState(nc);
  if (logger) void logStatus(nc, name, logger);
  return nc;
}

async function logStatus(nc: NatsConnection, name: string, logger: LoggerService): Promise<void> {
  for await (const s of nc.status()) {
    switch (s.type) {
      case 'disconnect':
      case 'reconnect':
        logger.warn?.({ event: `nats.${s.type}`, connection: name, server: s.server }, 'NATS');
        break;
      case 'error':
        logger.error?.({ event: 'nats.error', connection: name, error: String(s.error) }, 'NATS');
        break;
      default:
        break;
    }
  }
}

const states = new WeakMap<NatsConnection, { connected: boolean }>();

/**
 * Follows disconnects and reconnects from the status stream. Started right
 * after connecting: a disconnect that happens before tracking starts would be missed.
 */
export function trackConnectionState(nc: NatsConnection): void {
  if (states.has(nc)) return;
  const state = { connected: !nc.isClosed() };
  states.set(nc, state);
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') state.connected = false;
      else if (s.type === 'reconnect') state.connected = true;
    }
    state.connected = false;
  })();
}

/** Whether the connection is up right now (false while reconnecting), without a round trip. */
export function isConnected(nc: NatsConnection): boolean {
  trackConnectionState(nc);
  return states.get(nc)!.connected && !nc.isClosed();
}
