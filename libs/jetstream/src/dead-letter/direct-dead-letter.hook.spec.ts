import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { PublishRejectedError, StreamFullError } from '../errors/publish.errors.js';
import type { HeaderEntries } from '../headers/message-headers.js';
import type { JetStreamPublisher, PublishOptions, PublishResult } from '../publisher/jetstream.publisher.js';
import type { DeliveryFacts, MessageFailure } from '../transport/message-failure.hook.js';
import { messageFailure } from './dead-letter-facts.fixture.js';
import { DLQ_HEADERS } from './dead-letter.record.js';
import { DeadLetterSink } from './dead-letter.sink.js';
import { deadLetterMsgId } from './dead-letter.writer.js';
import { DirectDeadLetterHook } from './direct-dead-letter.hook.js';
import type { FailureRecord, KvFailureRecorder } from './failure.recorder.js';

const data = new TextEncoder().encode('{"orderId":"o-1"}');
const storedAt = new Date('2026-01-01T00:00:00.000Z');
const at = new Date('2026-01-01T00:00:09.000Z');

/** A final failure: the handler terminated the message, which is at hand. */
const failure = (over: Partial<MessageFailure> = {}) =>
  messageFailure({
    errorName: 'NonRetryableError',
    errorMessage: 'customer blocked',
    final: true,
    terminated: true,
    at,
    original: { data, headers: [['Nats-Msg-Id', 'order-1']], storedAt },
    ...over,
  });

/**
 * The hook over a real sink whose publisher answers with `answer`, and a
 * recorder stub: what the recorder does with the failure is its own spec's.
 */
function setup(answer: () => Promise<PublishResult>, previous: () => Promise<FailureRecord | null> = async () => null) {
  const calls: string[] = [];
  const publish = jest.fn(async (_subject: string, _data: Uint8Array, _opts: PublishOptions) => {
    calls.push('publish');
    return answer();
  });
  const recorder = {
    lastFailure: jest.fn<KvFailureRecorder['lastFailure']>(previous),
    onFailure: jest.fn(async (_f: MessageFailure, _dlqSeq?: number) => void calls.push('record')),
    onRedelivered: jest.fn(async (_d: DeliveryFacts) => undefined),
    onSucceeded: jest.fn(async (_d: DeliveryFacts) => undefined),
  };
  const stored = jest.fn();
  const sink = new DeadLetterSink({ publish } as unknown as JetStreamPublisher, { stored });
  const hook = new DirectDeadLetterHook(recorder as unknown as KvFailureRecorder, sink);
  /** The facts the published record carries, by header. */
  const facts = () => Object.fromEntries(publish.mock.calls[0]![2].headers as HeaderEntries);
  return { calls, publish, recorder, stored, hook, facts };
}

const stores = (seq: number, duplicate = false) => async (): Promise<PublishResult> => ({ id: 'ORDERS:7:fulfillment', stream: 'DLQ', seq, duplicate });

describe('DirectDeadLetterHook', () => {
  let log: jest.SpiedFunction<Logger['log']>;
  let warn: jest.SpiedFunction<Logger['warn']>;
  beforeEach(() => {
    log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it("dead-letters a terminated message before its failure is recorded, under the record's msgID, and notes the DLQ sequence", async () => {
    const { calls, publish, recorder, stored, hook, facts } = setup(stores(41));
    const f = failure();
    await hook.onFailure(f);
    expect(calls).toEqual(['publish', 'record']);
    expect(publish).toHaveBeenCalledWith('dlq.ORDERS.fulfillment', data, expect.objectContaining({ msgId: deadLetterMsgId('ORDERS', 7, 'fulfillment'), expectStream: 'DLQ' }));
    expect(facts()).toMatchObject({
      [DLQ_HEADERS.kind]: 'terminated',
      [DLQ_HEADERS.reason]: 'NonRetryableError: customer blocked',
      [DLQ_HEADERS.firstFailureAt]: at.toISOString(),
      [DLQ_HEADERS.lastFailureAt]: at.toISOString(),
      [DLQ_HEADERS.originalTime]: storedAt.toISOString(),
      [DLQ_HEADERS.originalMsgId]: 'order-1',
    });
    expect(recorder.onFailure).toHaveBeenCalledWith(f, 41);
    expect(stored).toHaveBeenCalledWith(expect.objectContaining({ kind: 'terminated' }), 'direct');
    expect(log).toHaveBeenCalledWith(expect.objectContaining({ event: 'dlq.stored', via: 'direct', dlqSeq: 41, duplicate: false }));
  });

  it('calls the last allowed attempt max_deliveries, dated from the first failure in the failure record', async () => {
    const firstFailureAt = '2026-01-01T00:00:01.000Z';
    const { hook, facts, recorder } = setup(stores(5), async () => ({ firstFailureAt }) as FailureRecord);
    await hook.onFailure(failure({ terminated: false, deliveryCount: 3, errorName: 'Error', errorMessage: 'db down' }));
    expect(recorder.lastFailure).toHaveBeenCalledWith('ORDERS', 7, 'fulfillment');
    expect(facts()).toMatchObject({
      [DLQ_HEADERS.kind]: 'max_deliveries',
      [DLQ_HEADERS.deliveryCount]: '3',
      [DLQ_HEADERS.firstFailureAt]: firstFailureAt,
      [DLQ_HEADERS.lastFailureAt]: at.toISOString(),
    });
  });

  it('still dead-letters when the failure record cannot be read, dating the first failure at this attempt', async () => {
    const { hook, facts, recorder } = setup(stores(6), async () => Promise.reject(new Error('kv down')));
    await hook.onFailure(failure());
    expect(facts()[DLQ_HEADERS.firstFailureAt]).toBe(at.toISOString());
    expect(recorder.onFailure).toHaveBeenCalledWith(expect.anything(), 6);
  });

  it('notes the sequence of a record another writer stored first, without counting it again', async () => {
    const { hook, recorder, stored } = setup(stores(9, true));
    await hook.onFailure(failure());
    expect(recorder.onFailure).toHaveBeenCalledWith(expect.anything(), 9);
    expect(stored).not.toHaveBeenCalled();
    expect(log).toHaveBeenCalledWith(expect.objectContaining({ event: 'dlq.stored', duplicate: true }));
  });

  it('settles anyway when the DLQ is full: no DLQ sequence, so the router or the sweep writes the record later', async () => {
    const full = new StreamFullError('dlq.ORDERS.fulfillment', 'DLQ', 'maximum bytes exceeded');
    const { hook, recorder, stored } = setup(async () => Promise.reject(full));
    await expect(hook.onFailure(failure())).resolves.toBeUndefined();
    expect(recorder.onFailure).toHaveBeenCalledWith(expect.anything(), undefined);
    expect(stored).not.toHaveBeenCalled();
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({ event: 'dlq.direct-failed', stream: 'ORDERS', streamSequence: 7, consumer: 'fulfillment', kind: 'terminated', full: true, error: String(full) }),
    );
  });

  it('treats a refused publish (no permission for the subject) like an outage, not as full', async () => {
    const { hook, recorder } = setup(async () => Promise.reject(new PublishRejectedError('Permissions Violation for Publish to "dlq.ORDERS.fulfillment"')));
    await expect(hook.onFailure(failure())).resolves.toBeUndefined();
    expect(recorder.onFailure).toHaveBeenCalledWith(expect.anything(), undefined);
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ event: 'dlq.direct-failed', full: false, error: expect.stringContaining('Permissions Violation') }));
  });

  it('dead-letters nothing for a failure that is not final, or final without the message', async () => {
    const { hook, publish, recorder } = setup(stores(1));
    // Not final even with the message at hand: the message is redelivered, and a record now would be wrong.
    const retrying = failure({ final: false, terminated: false });
    const noCopy = failure({ original: undefined });
    await hook.onFailure(retrying);
    await hook.onFailure(noCopy);
    expect(publish).not.toHaveBeenCalled();
    expect(recorder.lastFailure).not.toHaveBeenCalled();
    expect(recorder.onFailure.mock.calls).toEqual([
      [retrying, undefined],
      [noCopy, undefined],
    ]);
  });

  it('fails when the failure record cannot be written, after the DLQ record is stored', async () => {
    // The listener logs the hook's error and settles; the DLQ record already holds the failure.
    const { hook, publish, recorder } = setup(stores(2));
    recorder.onFailure.mockRejectedValueOnce(new Error('kv down'));
    await expect(hook.onFailure(failure())).rejects.toThrow('kv down');
    expect(publish).toHaveBeenCalledTimes(1);
  });

  it('hands redeliveries and recoveries to the failure recorder', async () => {
    const { hook, recorder } = setup(stores(1));
    const d: DeliveryFacts = { stream: 'ORDERS', consumer: 'fulfillment', subject: 'orders.created.eu.std', streamSequence: 7, deliveryCount: 2, at };
    await hook.onRedelivered(d);
    await hook.onSucceeded(d);
    expect(recorder.onRedelivered).toHaveBeenCalledWith(d);
    expect(recorder.onSucceeded).toHaveBeenCalledWith(d);
  });
});
