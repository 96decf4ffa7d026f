import { beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { JetStreamApiCodes, JetStreamApiError, type JetStreamManager, type JsMsg, type StoredMsg } from '@nats-io/jetstream';
import type { KvEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { Logger, type LoggerService } from '@nestjs/common';
import { buildTopology } from '#contracts';
import { StreamFullError } from '../errors/publish.errors.js';
import { toMsgHdrs, type HeaderEntries } from '../headers/message-headers.js';
import type { JetStreamPublisher, PublishOptions, PublishResult } from '../publisher/jetstream.publisher.js';
import { DLQ_HEADERS } from './dead-letter.record.js';
import { DeadLetterSink } from './dead-letter.sink.js';
import { DEFAULT_DEAD_LETTER_OPTIONS, withDeadLetters } from './dead-letter.topology.js';
import { KvFailureRecorder } from './failure.recorder.js';
import { REJECTED_HEADERS } from './rejected-advisory.record.js';

// The re-attach pause is a `node:timers/promises` sleep, which jest's fake timers cannot reach from an ES module: replaced here, it only records the pause.
const realTimers = await import('node:timers/promises');
const sleeps: number[] = [];
jest.unstable_mockModule('node:timers/promises', () => ({ ...realTimers, setTimeout: async (ms: number) => void sleeps.push(ms) }));
const { DeadLetterRouter } = await import('./dead-letter.router.js');

const topology = withDeadLetters(buildTopology(), DEFAULT_DEAD_LETTER_OPTIONS);
const SUBJECT = 'orders.created.eu.std.p0';
const ORIGINAL = new TextEncoder().encode('{"orderId":"o-7"}');
const bytes = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
const apiError = (status: number, code: number) => new JetStreamApiError({ code: status, err_code: code, description: 'fake' });

/** Advisories as nats-server sends them (see dead-letter.advisory.spec.ts), for ORDERS seq 7 of fulfillment, whose max_deliver is 5. */
const maxed = { type: 'io.nats.jetstream.advisory.v1.max_deliver', id: 'E21KMHZg1qufpw12u81our', timestamp: '2026-11-28T13:28:08.151Z', stream: 'ORDERS', consumer: 'fulfillment', stream_seq: 7, deliveries: 5 };
const termed = { ...maxed, type: 'io.nats.jetstream.advisory.v1.terminated', consumer_seq: 9, deliveries: 1, reason: 'NonRetryableError: customer blocked' };
const MAX_SUBJECT = '$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.ORDERS.fulfillment';
const TERM_SUBJECT = '$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.ORDERS.fulfillment';

/** An async queue standing in for what consume() and status() of nats.js hand out; the test pushes. */
class Feed<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private ended = false;
  private wake?: () => void;
  push(item: T): void {
    this.items.push(item);
    this.wake?.();
  }
  end(): void {
    this.ended = true;
    this.wake?.();
  }
  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      if (this.items.length > 0) yield this.items.shift()!;
      else if (this.ended) return;
      else await new Promise<void>((r) => (this.wake = r));
    }
  }
}

/** A map-backed KV with revisions: the slice of nats.js's KV the failure recorder uses. */
function fakeKv(log: string[]) {
  const entries = new Map<string, KvEntry>();
  let revision = 0;
  const entry = (key: string, value: string, operation: 'PUT' | 'DEL') =>
    ({ key, revision: ++revision, operation, value: bytes(value), string: () => value, json: () => JSON.parse(value) }) as unknown as KvEntry;
  return {
    get: async (key: string) => entries.get(key) ?? null,
    put: async (key: string, value: string) => void entries.set(key, entry(key, value, 'PUT')),
    delete: async (key: string) => void (log.push(`forget ${key}`), entries.set(key, entry(key, '', 'DEL'))),
  };
}

/** An advisory message of DLQ_ADVISORIES; `settled` lists its ack, nak and ackAck calls. */
function advisoryMsg(seq: number, subject: string, body: unknown, deliveryCount = 1, confirmed = true) {
  const settled: string[] = [];
  const js = {
    subject,
    seq,
    data: bytes(body),
    info: { deliveryCount },
    ack: () => void settled.push('ack'),
    nak: (delay?: number) => void settled.push(delay === undefined ? 'nak' : `nak ${delay}`),
    ackAck: async () => (settled.push('ackAck'), confirmed),
  } as unknown as JsMsg;
  return { js, settled };
}

/**
 * The router against a fake broker: ORDERS holds seq 7 on SUBJECT unless `stored` is false, fulfillment has
 * delivered up to seq 10 with max_deliver 5, and one publisher stands in for DLQ and DLQ_REJECTED, storing
 * a msgID once as the server's duplicate window does.
 */
function harness(o: { retention?: string; consumerCount?: number; stored?: boolean; delivered?: number; publishError?: (subject: string) => Error | undefined } = {}) {
  const log: string[] = [];
  const store = new Map<number, StoredMsg>();
  if (o.stored !== false) store.set(7, { seq: 7, subject: SUBJECT, data: ORIGINAL, header: toMsgHdrs([['Nats-Msg-Id', 'order-7']]), time: new Date('2026-11-28T13:28:00Z') } as unknown as StoredMsg);
  const consumes: { messages: Feed<JsMsg>; status: Feed<{ type: string }> }[] = [];
  const consumeWaiters: (() => void)[] = [];
  const consume = async () => {
    const c = { messages: new Feed<JsMsg>(), status: new Feed<{ type: string }>() };
    consumes.push(c);
    consumeWaiters.shift()?.();
    return Object.assign(c.messages, { status: () => c.status, stop: () => (c.messages.end(), c.status.end()) });
  };
  // The router's own durable (max_deliver 5, as the server reports it) and the one consumer advisories may name.
  const consumers = { get: jest.fn(async (_stream: string, _durable: string) => ({ info: async () => ({ config: { max_deliver: 5 } }), consume })) };
  const consumerInfo = async (stream: string, name: string) => {
    if (`${stream}/${name}` !== 'ORDERS/fulfillment') throw apiError(404, JetStreamApiCodes.ConsumerNotFound);
    return { config: { max_deliver: 5, filter_subjects: ['orders.created.>'] }, delivered: { stream_seq: o.delivered ?? 10 } };
  };
  const jsm = {
    jetstream: () => ({ consumers }),
    consumers: { info: consumerInfo },
    streams: {
      info: async () => ({ config: { retention: o.retention ?? 'workqueue' }, state: { consumer_count: o.consumerCount ?? 1 } }),
      getMessage: jest.fn(async (_stream: string, { seq }: { seq: number }) => store.get(seq) ?? null),
      deleteMessage: jest.fn(async (stream: string, seq: number) => (log.push(`delete ${stream} ${seq}`), store.delete(seq))),
    },
  };
  const msgIds = new Map<string, number>();
  const publish = jest.fn(async (subject: string, _data: Uint8Array, opts: PublishOptions): Promise<PublishResult> => {
    log.push(`publish ${subject}`);
    const err = o.publishError?.(subject);
    if (err) throw err;
    const seen = msgIds.get(opts.msgId!);
    if (seen === undefined) msgIds.set(opts.msgId!, msgIds.size + 1);
    return { id: opts.msgId!, stream: opts.expectStream!, seq: seen ?? msgIds.size, duplicate: seen !== undefined };
  });
  const publisher = { publish } as unknown as JetStreamPublisher;
  const failures = new KvFailureRecorder({} as NatsConnection);
  // Kvm.open would ask a server for the bucket; the recorder's store is the seam.
  Object.assign(failures, { kv: Promise.resolve(fakeKv(log)) });
  const stored = jest.fn();
  const rejected = jest.fn();
  const router = new DeadLetterRouter(jsm as unknown as JetStreamManager, publisher, failures, topology, new DeadLetterSink(publisher, { stored }), rejected, 1);
  const fail = (over: { deliveryCount?: number; terminated?: boolean; original?: { data: Uint8Array; headers: HeaderEntries } } = {}, dlqSeq?: number) =>
    failures.onFailure({ stream: 'ORDERS', consumer: 'fulfillment', subject: SUBJECT, streamSequence: 7, deliveryCount: 5, maxDeliver: 5, errorName: 'Error', errorMessage: 'db down', handler: 'orders.created', final: true, terminated: false, at: new Date(), ...over }, dlqSeq);
  /** Starts the router, hands it the advisories and stops it: stop() waits for every route in flight. */
  const route = async (...msgs: JsMsg[]) => {
    await router.start();
    for (const m of msgs) consumes.at(-1)!.messages.push(m);
    await router.stop();
  };
  const dlqPublishes = () => publish.mock.calls.filter(([s]) => s.startsWith('dlq.ORDERS.'));
  const nextConsume = () => new Promise<void>((r) => consumeWaiters.push(r));
  return { log, store, jsm, consumers, consumes, nextConsume, publish, failures, stored, rejected, router, fail, route, dlqPublishes };
}

const header = (opts: PublishOptions, name: string) => (opts.headers as HeaderEntries).find(([k]) => k === name)?.[1];

describe('DeadLetterRouter', () => {
  const logs: unknown[] = [];
  const capture: LoggerService = { log: (m) => void logs.push(m), warn: (m) => void logs.push(m), error: (m) => void logs.push(m) };
  beforeAll(() => Logger.overrideLogger(capture));
  beforeEach(() => void (logs.length = 0));

  it('stores one DLQ record for a corroborated advisory, deletes the work-queue original, acks after the PubAck, then forgets the failure', async () => {
    const h = harness();
    await h.fail();
    const m = advisoryMsg(1, MAX_SUBJECT, maxed);
    await h.route(m.js);
    expect(h.log).toEqual(['publish dlq.ORDERS.fulfillment', 'delete ORDERS 7', 'forget ORDERS.7.fulfillment']);
    expect(m.settled).toEqual(['ackAck']);
    const [[, data, opts]] = h.dlqPublishes();
    expect(data).toBe(ORIGINAL);
    expect(opts).toMatchObject({ msgId: 'ORDERS:7:fulfillment', expectStream: 'DLQ' });
    expect([DLQ_HEADERS.subject, DLQ_HEADERS.reason, DLQ_HEADERS.handler, DLQ_HEADERS.originalMsgId].map((k) => header(opts, k))).toEqual([SUBJECT, 'Error: db down', 'orders.created', 'order-7']);
    expect(h.stored.mock.calls).toEqual([[expect.objectContaining({ stream: 'ORDERS', consumer: 'fulfillment', kind: 'max_deliveries' }), 'router']]);
    expect(h.rejected).not.toHaveBeenCalled();
  });

  it.each([
    ['malformed', MAX_SUBJECT, 'not json{'],
    ['subject_mismatch', MAX_SUBJECT, { ...maxed, consumer: 'notifications' }],
    ['undeclared', '$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.ORDERS.intruder', { ...maxed, consumer: 'intruder' }],
  ])('stores an advisory refused as %s raw in DLQ_REJECTED, counts it and acks it, without looking anything up', async (check, subject, body) => {
    const h = harness();
    const m = advisoryMsg(12, subject, body);
    await h.route(m.js);
    expect(h.publish).toHaveBeenCalledTimes(1);
    const [[to, data, opts]] = h.publish.mock.calls;
    expect([to, opts.msgId, opts.expectStream, header(opts, REJECTED_HEADERS.check)]).toEqual(['dlq.rejected', 'rejected:12', 'DLQ_REJECTED', check]);
    expect(data).toEqual(bytes(body));
    expect(h.rejected.mock.calls).toEqual([[check]]);
    expect(m.settled).toEqual(['ack']);
    expect(h.jsm.streams.getMessage).not.toHaveBeenCalled();
  });

  it.each([
    ['no failure is recorded for it', {}, false],
    ['the consumer never delivered that sequence', { delivered: 6 }, true],
  ])('refuses a well-formed advisory when %s: the original is neither copied nor deleted', async (_, over, recorded) => {
    const h = harness(over);
    if (recorded) await h.fail();
    const m = advisoryMsg(3, MAX_SUBJECT, maxed);
    await h.route(m.js);
    expect(h.log).toEqual(['publish dlq.rejected']);
    expect(header(h.publish.mock.calls[0]![2], REJECTED_HEADERS.check)).toBe('uncorroborated');
    expect(h.rejected.mock.calls).toEqual([['uncorroborated']]);
    expect(m.settled).toEqual(['ack']);
  });

  it('keeps the failure record while the ack is unconfirmed, and stores the redelivered advisory as a duplicate, counted once', async () => {
    const h = harness();
    await h.fail();
    const first = advisoryMsg(1, MAX_SUBJECT, maxed, 1, false);
    const again = advisoryMsg(1, MAX_SUBJECT, maxed, 2);
    await h.route(first.js, again.js);
    expect(h.log.filter((l) => l.startsWith('forget'))).toEqual(['forget ORDERS.7.fulfillment']);
    expect(h.log.indexOf('forget ORDERS.7.fulfillment')).toBeGreaterThan(h.log.lastIndexOf('publish dlq.ORDERS.fulfillment'));
    expect(h.dlqPublishes().map(([, , opts]) => opts.msgId)).toEqual(['ORDERS:7:fulfillment', 'ORDERS:7:fulfillment']);
    expect(h.stored).toHaveBeenCalledTimes(1);
    expect([first.settled, again.settled]).toEqual([['ackAck'], ['ackAck']]);
  });

  it("publishes nothing when the failure record notes the transport's DLQ record, but still removes the work-queue original", async () => {
    const h = harness();
    await h.fail({}, 42);
    const m = advisoryMsg(1, MAX_SUBJECT, maxed);
    await h.route(m.js);
    expect(h.log).toEqual(['delete ORDERS 7', 'forget ORDERS.7.fulfillment']);
    expect(h.stored).not.toHaveBeenCalled();
    expect(logs).toContainEqual(expect.objectContaining({ event: 'dlq.routed', dlqSeq: 42, stored: false, noted: true }));
  });

  it.each([
    ['workqueue', 1, true],
    ['interest', 1, true],
    ['interest', 2, false],
    ['limits', 1, false],
  ])('%s retention, %i consumer(s): deletes the max-delivered original = %s', async (retention, consumerCount, deletes) => {
    const h = harness({ retention, consumerCount });
    await h.fail();
    await h.route(advisoryMsg(1, MAX_SUBJECT, maxed).js);
    expect(h.jsm.streams.deleteMessage.mock.calls.length).toBe(deletes ? 1 : 0);
    expect(h.dlqPublishes()).toHaveLength(1);
  });

  it('never deletes a terminated original, even from a work queue that still holds it, and copies it rather than the copy', async () => {
    const h = harness();
    await h.fail({ deliveryCount: 1, terminated: true, original: { data: bytes('copy'), headers: [] } });
    const m = advisoryMsg(1, TERM_SUBJECT, termed);
    await h.route(m.js);
    expect(h.dlqPublishes()[0]![1]).toBe(ORIGINAL);
    expect(h.jsm.streams.deleteMessage).not.toHaveBeenCalled();
    expect(m.settled).toEqual(['ackAck']);
  });

  it('dead-letters a terminated message from the copy taken before term() once the stream dropped it', async () => {
    const h = harness({ stored: false });
    const copy = { data: bytes('{"orderId":"copy"}'), headers: [['x-tenant', 'a']] as HeaderEntries };
    await h.fail({ deliveryCount: 1, terminated: true, original: copy });
    const m = advisoryMsg(1, TERM_SUBJECT, termed);
    await h.route(m.js);
    const [[, data, opts]] = h.dlqPublishes();
    expect(data).toEqual(copy.data);
    expect(header(opts, 'x-tenant')).toBe('a');
    expect([DLQ_HEADERS.kind, DLQ_HEADERS.subject, DLQ_HEADERS.reason, DLQ_HEADERS.originalMissing].map((k) => header(opts, k))).toEqual(['terminated', SUBJECT, termed.reason, undefined]);
    expect(m.settled).toEqual(['ackAck']);
  });

  it("naks with the router durable's delay while the DLQ is full, and parks the advisory on its last allowed attempt", async () => {
    const full = new StreamFullError('dlq.ORDERS.fulfillment', 'DLQ', 'maximum bytes exceeded');
    const h = harness({ publishError: (s) => (s === 'dlq.ORDERS.fulfillment' ? full : undefined) });
    await h.fail();
    const second = advisoryMsg(1, MAX_SUBJECT, maxed, 2);
    const last = advisoryMsg(1, MAX_SUBJECT, maxed, 5);
    await h.route(second.js, last.js);
    // Retry delays of the dlq-router declaration: 1 s, 5 s, 30 s, 60 s by attempt.
    expect([second.settled, last.settled]).toEqual([['nak 5000'], ['nak']]);
    expect(h.jsm.streams.deleteMessage).not.toHaveBeenCalled();
    expect(await h.failures.lastFailure('ORDERS', 7, 'fulfillment')).not.toBeNull();
    expect(logs).toContainEqual(expect.objectContaining({ event: 'dlq-router.parked', attempt: 5, maxDeliver: 5 }));
  });

  it('acks and counts junk even when DLQ_REJECTED is full, but retries it when storing failed for another reason', async () => {
    const full = harness({ publishError: () => new StreamFullError('dlq.rejected', 'DLQ_REJECTED', 'maximum bytes exceeded') });
    const junk = advisoryMsg(4, MAX_SUBJECT, 'junk');
    await full.route(junk.js);
    expect([junk.settled, full.rejected.mock.calls]).toEqual([['ack'], [['malformed']]]);
    const down = harness({ publishError: () => new Error('connection closed') });
    const retried = advisoryMsg(4, MAX_SUBJECT, 'junk');
    await down.route(retried.js);
    expect([retried.settled, down.rejected.mock.calls]).toEqual([['nak 1000'], []]);
  });

  it('retries when deleting the original failed while it is still stored, and acks when another router deleted it first', async () => {
    const still = harness();
    still.jsm.streams.deleteMessage.mockRejectedValue(apiError(503, 10008));
    await still.fail();
    const retried = advisoryMsg(1, MAX_SUBJECT, maxed);
    await still.route(retried.js);
    expect(retried.settled).toEqual(['nak 1000']);
    const raced = harness();
    raced.jsm.streams.deleteMessage.mockImplementation(async () => {
      raced.store.delete(7);
      throw apiError(503, 10008);
    });
    await raced.fail();
    const acked = advisoryMsg(1, MAX_SUBJECT, maxed);
    await raced.route(acked.js);
    expect(acked.settled).toEqual(['ackAck']);
  });

  it('refuses to start without its durable (provision first) instead of waiting for it', async () => {
    const h = harness();
    h.consumers.get.mockRejectedValue(apiError(404, JetStreamApiCodes.ConsumerNotFound));
    await expect(h.router.start()).rejects.toThrow(JetStreamApiError);
    expect(h.consumers.get).toHaveBeenCalledTimes(1);
  });

  it('attaches again 2 s after its durable was deleted and routes what the new consume delivers', async () => {
    const h = harness();
    await h.fail();
    await h.router.start();
    const reattached = h.nextConsume();
    sleeps.length = 0;
    h.consumes[0]!.status.push({ type: 'consumer_deleted' });
    await reattached;
    // One turn for attach() to take the new consume as its own before stop() looks for it.
    await new Promise<void>((r) => setImmediate(r));
    const m = advisoryMsg(1, MAX_SUBJECT, maxed);
    h.consumes[1]!.messages.push(m.js);
    await h.router.stop();
    expect(sleeps).toEqual([2_000]);
    expect(h.consumers.get).toHaveBeenCalledTimes(2);
    expect(m.settled).toEqual(['ackAck']);
  });

  it('stops the consume it was attaching when stop() came meanwhile, so nothing is pulled and left unacked', async () => {
    const h = harness();
    await h.router.start();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const get = h.consumers.get.getMockImplementation()!;
    h.consumers.get.mockImplementationOnce(async (...args: Parameters<typeof get>) => {
      await gate;
      return get(...args);
    });
    h.consumes[0]!.status.push({ type: 'consumer_deleted' });
    // One turn for the re-attach to reach the durable lookup that the gate holds.
    await new Promise<void>((r) => setImmediate(r));
    const stopped = h.router.stop();
    release();
    await stopped;
    expect(h.consumes).toHaveLength(2);
    expect((h.consumes[1]!.messages as unknown as { ended: boolean }).ended).toBe(true);
  });
});
