import { readFileSync } from 'node:fs';
import type { LoggerService } from '@nestjs/common';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import type { JetStreamEnvironment } from '../config/jetstream.environment.js';

export type NatsConnectionSettings = Pick<
  JetStreamEnvironment,
  'NATS_URL' | 'NATS_CREDS_FILE' | 'NATS_USER' | 'NATS_PASSWORD' | 'NATS_TOKEN'
>;

/**
 * Connects with unlimited reconnects (the nats.js default of 10 attempts would
 * leave a pod alive but deaf after a longer broker outage) and keeps trying
 * when the first connect fails, so pods can start before NATS is up.
 */
export async function connectNats(
  settings: NatsConnectionSettings,
  name: string,
  logger?: LoggerService,
): Promise<NatsConnection> {
  const nc = await connect({
    servers: settings.NATS_URL,
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    waitOnFirstConnect: true,
    authenticator: settings.NATS_CREDS_FILE
      ? credsAuthenticator(readFileSync(settings.NATS_CREDS_FILE))
      : undefined,
    user: settings.NATS_USER,
    pass: settings.NATS_PASSWORD,
    token: settings.NATS_TOKEN,
  });
  isConnected(nc); // start tracking before the first disconnect can happen
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

/** Whether the connection is up right now (false while reconnecting), without a round trip. */
export function isConnected(nc: NatsConnection): boolean {
  let state = states.get(nc);
  if (!state) {
    const tracked = { connected: !nc.isClosed() };
    states.set(nc, tracked);
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect') tracked.connected = false;
        else if (s.type === 'reconnect') tracked.connected = true;
      }
      tracked.connected = false;
    })();
    state = tracked;
  }
  return state.connected && !nc.isClosed();
}
