import { authHeaders, TEST_API_KEY, writeApiKeysFile } from './api-keys.js';
import { AppProcess, ENTRYPOINTS } from './app-process.js';
import { freePort, type NatsEndpoint } from '#testing';

/** Settings that make failures show quickly in tests; each test can override them. */
export const FAST_TOPOLOGY_ENV = {
  CONSUMER_ACK_WAIT_MS: '3000',
  CONSUMER_RETRY_DELAYS_MS: '200,400',
  CONSUMER_MAX_DELIVER: '5',
} as const;

export interface Producer {
  app: AppProcess;
  url: string;
}

/** The producer as the `producer` NATS user, its DLQ admin service as `dlq`; it accepts TEST_API_KEY (every scope) unless `env` configures authentication itself. */
export async function startProducer(nats: NatsEndpoint, env: Record<string, string> = {}): Promise<Producer> {
  const port = await freePort();
  const app = await AppProcess.start(
    'producer',
    ENTRYPOINTS.producer,
    { ...nats.env('producer'), ...nats.dlqEnv(), PORT: String(port), HOST: '127.0.0.1', API_KEYS_FILE: writeApiKeysFile([TEST_API_KEY]), ...FAST_TOPOLOGY_ENV, ...env },
    'producer.ready',
  );
  return { app, url: `http://127.0.0.1:${port}` };
}

/** The consumer as the `consumer` NATS user, its DLQ router as `dlq`. */
export async function startConsumer(nats: NatsEndpoint, env: Record<string, string> = {}, name = 'consumer'): Promise<AppProcess> {
  const port = await freePort();
  return AppProcess.start(
    name,
    ENTRYPOINTS.consumer,
    { ...nats.env('consumer'), ...nats.dlqEnv(), PORT: String(port), HOST: '127.0.0.1', ...FAST_TOPOLOGY_ENV, ...env },
    'consumer.ready',
  );
}

/** Runs the provision command (as the `provisioner` NATS user) to completion; returns its output. */
export async function provision(nats: NatsEndpoint, env: Record<string, string> = {}): Promise<string> {
  const app = await AppProcess.start('provision', ENTRYPOINTS.provision, { ...nats.env('provisioner'), ...FAST_TOPOLOGY_ENV, ...env });
  const { code } = await app.waitForExit();
  if (code !== 0) throw new Error(`provision exited ${code}:\n${app.tail()}`);
  return app.raw.join('\n');
}

export interface Processed {
  consumer: string;
  seq: number;
  subject: string;
  deliveryCount: number;
  orderId: string;
}

/** `message.processed` events of one or more consumer processes. */
export function processed(apps: AppProcess[], consumer?: string): Processed[] {
  return apps
    .flatMap((a) => a.events('message.processed'))
    .map((e) => e as unknown as Processed)
    .filter((p) => consumer === undefined || p.consumer === consumer);
}

/** POSTs JSON with TEST_API_KEY; pass `authorization`/`x-api-key` in `headers` to send another credential, `{ authorization: '' }` for none. */
export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const credential = 'authorization' in headers || 'x-api-key' in headers ? {} : authHeaders();
  const sent = Object.fromEntries(Object.entries({ 'content-type': 'application/json', ...credential, ...headers }).filter(([, v]) => v !== ''));
  return fetch(url, {
    method: 'POST',
    headers: sent,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

let orderCounter = 0;

export function order(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  orderCounter += 1;
  return {
    orderId: `ord-${process.pid}-${orderCounter}`,
    customerId: 'cus-1',
    amount: 49.9,
    currency: 'EUR',
    region: 'eu',
    ...overrides,
  };
}
