import { describe, expect, it, jest } from '@jest/globals';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { parseDeliveryInfo, PulledMessage } from './pulled-message.js';

const REPLY = '$JS.ACK.hub.ACCHASH.ORDERS.fulfillment.3.42.17.1733600000123456789.5.rAnD0m';
const text = (b: unknown) => new TextDecoder().decode(b as Uint8Array);

function setup(reply: string | undefined = REPLY) {
  const respond = jest.fn<Msg['respond']>(() => true);
  const request = jest.fn<NatsConnection['request']>(async () => ({}) as Msg);
  const msg = { subject: 'orders.created.eu.std', sid: 1, reply, data: new Uint8Array([123, 125]), headers: undefined, respond, json: () => ({}), string: () => '{}' };
  const m = new PulledMessage(msg as unknown as Msg, { request } as unknown as NatsConnection);
  return { m, respond, request, sent: () => respond.mock.calls.map((c) => text(c[0])) };
}

describe('PulledMessage', () => {
  it('reads the delivery info from the reply subject, with and without domain and account hash', () => {
    expect(parseDeliveryInfo(REPLY)).toEqual({
      domain: 'hub',
      account_hash: 'ACCHASH',
      stream: 'ORDERS',
      consumer: 'fulfillment',
      deliveryCount: 3,
      redelivered: true,
      streamSequence: 42,
      deliverySequence: 17,
      timestampNanos: 1733600000123456789,
      pending: 5,
    });
    const old = parseDeliveryInfo('$JS.ACK.ORDERS.fulfillment.1.42.17.1733600000123456789.0');
    expect(old).toMatchObject({ domain: '', stream: 'ORDERS', deliveryCount: 1, redelivered: false, streamSequence: 42 });
    expect(() => parseDeliveryInfo('_INBOX.abc.def')).toThrow(/not a JetStream delivery/);
  });

  it('exposes the info, sequence and exact timestamp of the delivery', () => {
    const { m } = setup();
    expect(m.seq).toBe(42);
    expect(m.redelivered).toBe(true);
    expect(m.info.consumer).toBe('fulfillment');
    expect(m.timestampNanos).toBe(1733600000123456789n);
    expect(m.time.getTime()).toBe(1733600000123);
    expect(m.subject).toBe('orders.created.eu.std');
  });

  it('parses the reply subject once, and only when read', () => {
    const { m } = setup();
    const scan = jest.spyOn(String.prototype, 'indexOf');
    m.ack();
    expect(scan).not.toHaveBeenCalled();
    expect(m.info).toBe(m.info);
    const calls = scan.mock.calls.length;
    expect(calls).toBeGreaterThan(0);
    void m.info.deliveryCount;
    expect(scan).toHaveBeenCalledTimes(calls);
    scan.mockRestore();
  });

  it('answers once: the first final answer wins, later ones are not sent', () => {
    const { m, sent } = setup();
    m.working();
    m.working();
    m.term('poison');
    m.ack();
    m.nak();
    expect(sent()).toEqual(['+WPI', '+WPI', '+TERM poison']);
  });

  it('sends ack, plain nak, nak with the delay in nanoseconds, and term without a reason', () => {
    for (const [act, body] of [
      [(m: PulledMessage) => m.ack(), '+ACK'],
      [(m: PulledMessage) => m.nak(), '-NAK'],
      [(m: PulledMessage) => m.nak(1500), '-NAK {"delay":1500000000}'],
      [(m: PulledMessage) => m.term(), '+TERM'],
    ] as const) {
      const { m, sent } = setup();
      act(m);
      expect(sent()).toEqual([body]);
    }
  });

  it('ackAck asks the server and waits for its answer; a settled message is not acked again', async () => {
    const { m, request, respond } = setup();
    await expect(m.ackAck({ timeout: 250 })).resolves.toBe(true);
    expect(request).toHaveBeenCalledWith(REPLY, expect.anything(), { timeout: 250 });
    expect(text(request.mock.calls[0][1])).toBe('+ACK');
    await expect(m.ackAck()).resolves.toBe(false);
    m.ack();
    expect(respond).not.toHaveBeenCalled();
    expect(request).toHaveBeenCalledTimes(1);
  });

  it('ackAck rejects when the server does not answer, so the caller can retry or log', async () => {
    const { m, request } = setup();
    request.mockRejectedValueOnce(new Error('TIMEOUT'));
    await expect(m.ackAck()).rejects.toThrow('TIMEOUT');
  });
});
