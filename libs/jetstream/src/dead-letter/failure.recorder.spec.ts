import { describe, expect, it, jest } from '@jest/globals';
import { JetStreamApiError } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { DeliveryFacts, MessageFailure } from '../transport/message-failure.hook.js';
import { messageFailure } from './dead-letter-facts.fixture.js';
import { KvFailureRecorder } from './failure.recorder.js';

const KEY = 'ORDERS.7.fulfillment';
const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

/**
 * A KV bucket in memory, as nats.js's Bucket behaves: every write a new
 * revision, a delete leaves a DEL marker that get() still returns, and an
 * update at a stale revision is refused with JSStreamWrongLastSequenceErr.
 */
function fakeKv() {
  const entries = new Map<string, { value: string; revision: number; operation: 'PUT' | 'DEL' }>();
  let revision = 0;
  const put = jest.fn(async (key: string, value: string) => {
    entries.set(key, { value, revision: ++revision, operation: 'PUT' });
    return revision;
  });
  const kv = {
    put,
    get: jest.fn(async (key: string) => {
      const e = entries.get(key);
      return e ? { key, revision: e.revision, operation: e.operation, string: () => e.value, json: () => JSON.parse(e.value) } : null;
    }),
    update: jest.fn(async (key: string, value: string, version: number) => {
      const last = entries.get(key)?.revision ?? 0;
      if (last !== version) throw new JetStreamApiError({ code: 400, err_code: 10071, description: `wrong last sequence: ${last}` });
      return put(key, value);
    }),
    delete: jest.fn(async (key: string) => void entries.set(key, { value: '', revision: ++revision, operation: 'DEL' })),
  };
  /** The JSON as stored, to see what a reader of the bucket's stream (the sweep) gets. */
  const stored = (key = KEY) => JSON.parse(entries.get(key)!.value) as Record<string, unknown>;
  return { kv, stored, revisionOf: (key = KEY) => entries.get(key)!.revision };
}

function setup() {
  const bucket = fakeKv();
  const recorder = new KvFailureRecorder({} as NatsConnection);
  // The bucket is bound lazily from the connection; with no server to bind to, the recorder gets the opened bucket.
  Object.assign(recorder, { kv: Promise.resolve(bucket.kv as unknown as KV) });
  return { ...bucket, recorder };
}

const failure = (over: Partial<MessageFailure> = {}) => messageFailure({ at: t(0), ...over });

const delivery = (deliveryCount: number, at = t(30)): DeliveryFacts => ({
  stream: 'ORDERS',
  consumer: 'fulfillment',
  subject: 'orders.created.eu.std',
  streamSequence: 7,
  deliveryCount,
  at,
});

/** Bytes that are not UTF-8, so a copy kept as text would not survive. */
const original = { data: new Uint8Array([0, 0xff, 0xfe, 1]), headers: [['Nats-Msg-Id', 'order-1'] as [string, string]] };

describe('KvFailureRecorder', () => {
  it("keys a message's history by stream, sequence and durable, keeping the first failure time and the latest error", async () => {
    const { recorder, stored } = setup();
    await recorder.onFailure(failure());
    await recorder.onFailure(failure({ deliveryCount: 2, errorName: 'TimeoutError', errorMessage: 'slow', at: t(5) }));
    expect(stored()).toMatchObject({
      errorName: 'TimeoutError',
      errorMessage: 'slow',
      deliveryCount: 2,
      firstFailureAt: t(0).toISOString(),
      lastFailureAt: t(5).toISOString(),
      terminated: false,
      final: false,
    });
    await expect(recorder.lastFailure('ORDERS', 7, 'notifications')).resolves.toBeNull();
  });

  it('keeps a byte-exact copy of a terminated message not yet dead-lettered, as base64 in the JSON', async () => {
    const { recorder, stored } = setup();
    await recorder.onFailure(failure({ terminated: true, final: true, original }));
    expect(stored().original).toEqual({ data: 'AP/+AQ==', headers: original.headers });
    const read = await recorder.lastFailure('ORDERS', 7, 'fulfillment');
    expect(read?.terminated).toBe(true);
    expect(Buffer.from(read!.original!.data).equals(Buffer.from(original.data))).toBe(true);
    expect(read!.original!.headers).toEqual(original.headers);
  });

  it('keeps no copy of a message already dead-lettered, or of one the server does not drop (max deliveries)', async () => {
    const { recorder, stored } = setup();
    await recorder.onFailure(failure({ terminated: true, final: true, original }), 12);
    expect(stored()).toMatchObject({ dlqSeq: 12, terminated: true });
    expect(stored()).not.toHaveProperty('original');
    await recorder.onFailure(failure({ deliveryCount: 3, final: true, original }));
    expect(stored()).not.toHaveProperty('original');
    expect(stored()).not.toHaveProperty('dlqSeq');
  });

  it('notes an attempt that ended without ack or nak once, keeping the last handler error', async () => {
    const { recorder, kv, stored } = setup();
    await recorder.onFailure(failure());
    // Attempt 1 left its record (a nak always does): its redelivery notes nothing.
    await recorder.onRedelivered(delivery(2));
    expect(kv.put).toHaveBeenCalledTimes(1);
    // Attempt 2 left none: it crashed or ran out of ack wait.
    await recorder.onRedelivered(delivery(3));
    expect(stored()).toMatchObject({ errorMessage: 'db down', deliveryCount: 1, lastUnsettledAttempt: 2, firstFailureAt: t(0).toISOString(), lastFailureAt: t(30).toISOString() });
    await recorder.onRedelivered(delivery(3, t(40)));
    expect(kv.put).toHaveBeenCalledTimes(2);
    // A later handler error keeps the unsettled attempt, which corroborates a max-deliveries advisory.
    await recorder.onFailure(failure({ deliveryCount: 3, final: true, at: t(50) }));
    expect(stored()).toMatchObject({ deliveryCount: 3, lastUnsettledAttempt: 2, final: true });
  });

  it('starts a history at a redelivery when the first attempt left nothing (a crash)', async () => {
    const { recorder, stored } = setup();
    await recorder.onRedelivered(delivery(2));
    expect(stored()).toEqual({
      stream: 'ORDERS',
      streamSequence: 7,
      consumer: 'fulfillment',
      subject: 'orders.created.eu.std',
      errorName: '',
      errorMessage: '',
      handler: '',
      deliveryCount: 0,
      lastUnsettledAttempt: 1,
      firstFailureAt: t(30).toISOString(),
      lastFailureAt: t(30).toISOString(),
      terminated: false,
    });
  });

  it('forgets the history once a redelivery succeeds: a later failure starts a new one', async () => {
    const { recorder, stored } = setup();
    await recorder.onFailure(failure({ errorMessage: 'first' }));
    await recorder.onSucceeded(delivery(2));
    await expect(recorder.lastFailure('ORDERS', 7, 'fulfillment')).resolves.toBeNull();
    await recorder.onFailure(failure({ at: t(90) }));
    expect(stored().firstFailureAt).toBe(t(90).toISOString());
  });

  it('marks a record dead-lettered only at the revision read, dropping the copy', async () => {
    const { recorder, stored, revisionOf } = setup();
    await recorder.onFailure(failure({ terminated: true, final: true, original }));
    const read = (await recorder.lastFailure('ORDERS', 7, 'fulfillment'))!;
    const revision = revisionOf();
    await recorder.markDeadLettered(read, revision, 33);
    expect(stored()).toMatchObject({ dlqSeq: 33, terminated: true, errorMessage: 'db down' });
    expect(stored()).not.toHaveProperty('original');
    // A newer revision (a later attempt, another writer) is not overwritten.
    await recorder.onFailure(failure({ deliveryCount: 2, errorMessage: 'newer', at: t(60) }));
    await expect(recorder.markDeadLettered(read, revision, 34)).rejects.toMatchObject({ code: 10071 });
    expect(stored()).toMatchObject({ errorMessage: 'newer' });
    expect(stored()).not.toHaveProperty('dlqSeq');
  });

  it('reads and forgets nothing for a name outside the KV key alphabet', async () => {
    const { recorder, kv } = setup();
    await expect(recorder.lastFailure('ORDERS', 7, 'fulfill ment')).resolves.toBeNull();
    await recorder.forget('ORDERS*', 7, 'fulfillment');
    expect(kv.get).not.toHaveBeenCalled();
    expect(kv.delete).not.toHaveBeenCalled();
  });
});
