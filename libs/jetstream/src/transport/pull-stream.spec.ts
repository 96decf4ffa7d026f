import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { headers, type Msg, type MsgCallback, type NatsConnection, type PublishOptions } from '@nats-io/transport-node';
import { PullStatusError, PullStream, type PullStreamEvents } from './pull-stream.js';
import { PulledMessage } from './pulled-message.js';

const INBOX = '_INBOX.pulls';

function setup(group?: string) {
  let deliver: MsgCallback<Msg> | undefined;
  const published: { subject: string; body: Record<string, unknown>; reply?: string }[] = [];
  const nc = {
    info: { client_id: 1 },
    options: { inboxPrefix: '_INBOX' },
    publish: (subject: string, body: string, opts?: PublishOptions) => published.push({ subject, body: JSON.parse(body), reply: opts?.reply }),
    subscribe: (subject: string, opts: { callback: MsgCallback<Msg> }) => {
      deliver = opts.callback;
      return { unsubscribe: jest.fn(), isClosed: () => false, getSubject: () => subject };
    },
  };
  const events = { message: jest.fn<PullStreamEvents['message']>(), room: jest.fn(), failed: jest.fn<PullStreamEvents['failed']>() };
  const stream = new PullStream(nc as unknown as NatsConnection, { stream: 'ORDERS', consumer: 'fulfillment', expiresMs: 30_000, heartbeatMs: 5_000, group }, events);
  const inbox = () => published[0].reply!;
  const message = (extra: Partial<Msg> = {}) => deliver!(null, { subject: 'orders.created.eu.std', reply: '$JS.ACK.ORDERS.fulfillment.1.1.1.1.0', data: new Uint8Array(), ...extra } as Msg);
  const status = (code: number, description: string, pending?: number) => {
    const h = headers(code, description);
    if (pending !== undefined) h.set('Nats-Pending-Messages', String(pending));
    deliver!(null, { subject: inbox(), data: new Uint8Array(), headers: h } as unknown as Msg);
  };
  return { stream, events, published, message, status };
}

describe('PullStream', () => {
  let stream: PullStream | undefined;
  afterEach(() => stream?.close());

  it('asks for a batch on the durable’s next-message subject, with expiry and heartbeat in nanoseconds', () => {
    const t = setup();
    stream = t.stream;
    t.stream.request(10);
    expect(t.published).toEqual([
      { subject: '$JS.API.CONSUMER.MSG.NEXT.ORDERS.fulfillment', body: { batch: 10, expires: 30_000_000_000, idle_heartbeat: 5_000_000_000 }, reply: expect.stringMatching(/^_INBOX/) },
    ]);
    expect(t.stream.requested).toBe(10);
  });

  it('hands over each stream message as a JsMsg and counts it against what was asked', () => {
    const t = setup();
    stream = t.stream;
    t.stream.request(2);
    t.message();
    expect(t.events.message).toHaveBeenCalledTimes(1);
    expect(t.events.message.mock.calls[0][0]).toBeInstanceOf(PulledMessage);
    expect(t.stream.requested).toBe(1);
  });

  it('ignores heartbeats, and frees what an expired or interrupted pull did not deliver', () => {
    const t = setup();
    stream = t.stream;
    t.stream.request(10);
    t.status(100, 'Idle Heartbeat');
    expect(t.events.room).not.toHaveBeenCalled();
    t.status(408, 'Request Timeout', 4);
    expect(t.stream.requested).toBe(6);
    t.status(409, 'Leadership Change', 6);
    expect(t.stream.requested).toBe(0);
    expect(t.events.room).toHaveBeenCalledTimes(2);
    expect(t.events.failed).not.toHaveBeenCalled();
  });

  it('fails on a status that leaves nothing to pull from: consumer deleted, no responders', () => {
    for (const [code, description, expected] of [
      [409, 'Consumer Deleted', /409 consumer deleted/],
      [503, 'No Responders', /503 no responders/],
    ] as const) {
      const t = setup();
      t.stream.request(5);
      t.status(code, description, code === 409 ? 5 : undefined);
      expect(t.events.room).not.toHaveBeenCalled();
      const err = t.events.failed.mock.calls[0][0];
      expect(err).toBeInstanceOf(PullStatusError);
      expect(String(err)).toMatch(expected);
      expect(t.stream.requested).toBe(0);
      t.stream.close();
    }
  });

  it('keeps the pin of a pinned-client group, and drops it when the server pinned another client', () => {
    const t = setup('orders');
    stream = t.stream;
    t.stream.request(1);
    expect(t.published[0].body).toMatchObject({ group: 'orders' });
    expect(t.published[0].body).not.toHaveProperty('id');
    const h = headers();
    h.set('Nats-Pin-Id', 'PIN1');
    t.message({ headers: h });
    expect(t.stream.pinned).toBe(true);
    t.stream.request(1);
    expect(t.published[1].body).toMatchObject({ group: 'orders', id: 'PIN1' });
    t.status(423, 'Nats-Pin-Id mismatch');
    expect(t.stream.pinned).toBe(false);
    expect(t.events.room).toHaveBeenCalledTimes(1);
  });
});
