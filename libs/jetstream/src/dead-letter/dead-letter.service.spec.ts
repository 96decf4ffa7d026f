import { createHash } from 'node:crypto';
import { describe, expect, it, jest } from '@jest/globals';
import { JetStreamApiCodes, JetStreamApiError, type JetStreamClient, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import type { KvEntry } from '@nats-io/kv';
import { buildTopology, ValidationFailedError, wildcardMatches } from '#contracts';
import { toMsgHdrs, type HeaderEntries } from '../headers/message-headers.js';
import type { JetStreamPublisher, PublishOptions, PublishResult } from '../publisher/jetstream.publisher.js';
import { AlreadyReplayedError, DeadLetterNotFoundError, ReplayRefusedError, ReplayUnreachableError } from './dead-letter.errors.js';
import { encodeDeadLetter, type DeadLetterFacts } from './dead-letter.record.js';
import { DeadLetterService, LIST_SCAN_LIMIT } from './dead-letter.service.js';
import { encodeRejection } from './rejected-advisory.record.js';
import { ReplayLog, type ReplayMark } from './replay-log.js';
import { TERMINATED_FACTS } from './dead-letter-facts.fixture.js';

const topology = buildTopology();
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const PAYLOAD = new TextEncoder().encode('{"orderId":"o-7"}');
const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const order = (over: Record<string, unknown> = {}) => ({ orderId: 'o-7', customerId: 'cus-1', amount: 10, currency: 'EUR', region: 'us', ...over });

/** A stored DLQ record as direct get returns it (as in dead-letter.record.spec.ts), from the fixture's facts. */
function record(seq: number, over: Partial<DeadLetterFacts> = {}, headers: HeaderEntries = [], data = PAYLOAD): StoredMsg {
  const facts = { ...TERMINATED_FACTS, ...over };
  return { seq, subject: `dlq.${facts.stream}.${facts.consumer}`, data, header: toMsgHdrs(encodeDeadLetter(facts, headers)), time: new Date() } as unknown as StoredMsg;
}

/** A map-backed KV with revisions and compare-and-set, as ReplayLog uses nats.js's KV. */
function fakeKv() {
  const entries = new Map<string, KvEntry>();
  let revision = 0;
  const wrongLast = () => new JetStreamApiError({ code: 400, err_code: JetStreamApiCodes.StreamWrongLastSequence, description: 'wrong last sequence' });
  const write = (key: string, value: string, operation: 'PUT' | 'DEL') => {
    entries.set(key, { key, revision: ++revision, operation, string: () => value, json: () => JSON.parse(value) } as unknown as KvEntry);
    return revision;
  };
  const atRevision = (key: string, rev: number) => {
    if ((entries.get(key)?.revision ?? 0) !== rev) throw wrongLast();
  };
  return {
    entries,
    seed: (key: string, mark: ReplayMark) => write(key, JSON.stringify(mark), 'PUT'),
    get: async (key: string) => entries.get(key) ?? null,
    create: async (key: string, value: string) => (entries.get(key)?.operation === 'PUT' ? Promise.reject(wrongLast()) : write(key, value, 'PUT')),
    update: async (key: string, value: string, rev: number) => (atRevision(key, rev), write(key, value, 'PUT')),
    delete: async (key: string, opts?: { previousSeq?: number }) => void (opts?.previousSeq !== undefined && atRevision(key, opts.previousSeq), write(key, '', 'DEL')),
  };
}

/** The service over fake DLQ and DLQ_REJECTED streams (direct get honours next_by_subj), a fake replay bucket and a recording publisher. */
function harness(records: StoredMsg[], rejected: StoredMsg[] = []) {
  const streams: Record<string, Map<number, StoredMsg>> = { DLQ: new Map(records.map((m) => [m.seq, m])), DLQ_REJECTED: new Map(rejected.map((m) => [m.seq, m])) };
  // As in JetStream, deleting messages does not lower a stream's last sequence.
  const last: Record<string, number> = { DLQ: records.at(-1)?.seq ?? 0, DLQ_REJECTED: rejected.at(-1)?.seq ?? 0 };
  const jsm = {
    streams: {
      info: async (s: string) => ({ state: { last_seq: last[s]!, messages: streams[s]!.size } }),
      getMessage: jest.fn(async (s: string, { seq }: { seq: number }): Promise<StoredMsg | null> => streams[s]!.get(seq) ?? null),
      deleteMessage: jest.fn(async (s: string, seq: number) => streams[s]!.delete(seq)),
    },
    direct: {
      getMessage: jest.fn(async (s: string, q: { seq: number; next_by_subj?: string }) => {
        for (let n = q.seq; n <= last[s]!; n++) {
          const m = streams[s]!.get(n);
          if (m && (!q.next_by_subj || wildcardMatches(q.next_by_subj, m.subject))) return m;
        }
        return null;
      }),
    },
  };
  let seq = 100;
  const publish = jest.fn(async (_subject: string, _data: Uint8Array | string, opts: PublishOptions): Promise<PublishResult> => ({ id: opts.msgId!, stream: opts.expectStream!, seq: ++seq, duplicate: false }));
  const kv = fakeKv();
  const replays = new ReplayLog({} as JetStreamClient);
  // Kvm.open would ask a server for the bucket; the log's store is the seam.
  Object.assign(replays, { kv: Promise.resolve(kv) });
  const service = new DeadLetterService(jsm as unknown as JetStreamManager, topology, { publish } as unknown as JetStreamPublisher, replays);
  const mark = (id: number) => {
    const entry = kv.entries.get(String(id));
    return entry?.operation === 'PUT' ? entry.json<ReplayMark>() : null;
  };
  return { streams, jsm, publish, kv, service, mark };
}

/** A finished replay of a record made from the fixture's facts (its identity names stream, sequence, consumer and routedAt). */
const doneMark = (routedAt = TERMINATED_FACTS.routedAt): ReplayMark => ({
  record: ReplayLog.identity({ ...TERMINATED_FACTS, routedAt }),
  state: 'done',
  startedAt: '2026-12-08T00:00:00.000Z',
  replayedAt: '2026-12-08T00:00:01.000Z',
  subject: TERMINATED_FACTS.subject,
  msgId: 'earlier-replay',
  edited: false,
  forced: false,
});

describe('DeadLetterService', () => {
  it("lists matches oldest first, filtering the consumer on the server and the reason here, each with its record's own latest replay", async () => {
    const h = harness([
      record(1, { reason: 'Error: db down' }),
      record(2, { consumer: 'notifications', reason: 'Error: db down' }),
      record(3, { reason: 'Error: timeout' }),
      record(4, { reason: 'Error: DB down again' }),
    ]);
    h.kv.seed('1', doneMark());
    // A mark of an earlier record with the same sequence (a DLQ recreated since) is not this record's.
    h.kv.seed('4', doneMark('2020-01-01T00:00:00.000Z'));
    const first = await h.service.list({ consumer: 'fulfillment', reason: 'db down' }, { limit: 1, after: 0 });
    expect(first).toMatchObject({ items: [{ id: 1, replay: { state: 'done' } }], next: 1, total: 4, scanned: 1 });
    expect(h.jsm.direct.getMessage).toHaveBeenCalledWith('DLQ', { seq: 1, next_by_subj: 'dlq.*.fulfillment' });
    const rest = await h.service.list({ consumer: 'fulfillment', reason: 'db down' }, { limit: 1, after: first.next! });
    expect(rest).toMatchObject({ items: [{ id: 4, replay: null }], next: null, scanned: 2 });
  });

  it('ends a page after LIST_SCAN_LIMIT records read, so a rare match cannot walk a whole large DLQ in one request', async () => {
    const one = record(1);
    const h = harness(Array.from({ length: LIST_SCAN_LIMIT + 1 }, (_, i) => ({ ...one, seq: i + 1 })));
    const page = await h.service.list({ reason: 'nowhere' }, { limit: 10, after: 0 });
    expect(page).toMatchObject({ items: [], scanned: LIST_SCAN_LIMIT, next: LIST_SCAN_LIMIT });
  });

  it('tells a missing record (DeadLetterNotFoundError) from an outage, which propagates as it is', async () => {
    const h = harness([record(7)]);
    await expect(h.service.get(8)).rejects.toBeInstanceOf(DeadLetterNotFoundError);
    const outage = new JetStreamApiError({ code: 503, err_code: 10008, description: 'no leader' });
    h.jsm.streams.getMessage.mockRejectedValueOnce(outage);
    await expect(h.service.get(7)).rejects.toBe(outage);
  });

  it("replays the stored bytes on the failed durable's redelivery subject with a new msgID and a new trace, and marks the record done", async () => {
    const headers: HeaderEntries = [['Nats-Msg-Id', 'order-7'], ['traceparent', TRACEPARENT], ['tracestate', 'v=1'], ['nestjet-attempts', '3'], ['nestjet-replay-for', 'other'], ['x-tenant', 'a']];
    const h = harness([record(7, {}, headers)]);
    const result = await h.service.replay(7);
    expect(h.publish).toHaveBeenCalledTimes(1);
    const [[subject, data, opts]] = h.publish.mock.calls;
    expect([subject, data, opts.expectStream]).toEqual(['nestjet-redeliver.ORDERS.fulfillment.orders.created.eu.std.p0', PAYLOAD, 'ORDERS']);
    expect(opts.msgId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
    expect(opts.headers).toEqual([['x-tenant', 'a'], ['nestjet-replay-of', '7'], ['nestjet-original-traceparent', TRACEPARENT]]);
    expect(result).toMatchObject({ replayOf: 7, subject: 'orders.created.eu.std.p0', forced: false, stream: 'ORDERS', seq: 101 });
    expect(result.payloadDigests).toBeUndefined();
    expect(h.mark(7)).toMatchObject({ state: 'done', msgId: opts.msgId, stream: 'ORDERS', seq: 101, subject: 'orders.created.eu.std.p0' });
  });

  it('replays a record once unless forced, and a failed publish leaves it as replayable as before', async () => {
    const h = harness([record(7), record(8)]);
    await h.service.replay(7);
    await expect(h.service.replay(7)).rejects.toBeInstanceOf(AlreadyReplayedError);
    expect(h.publish).toHaveBeenCalledTimes(1);
    await expect(h.service.replay(7, undefined, { force: true })).resolves.toMatchObject({ forced: true });
    expect(h.mark(7)).toMatchObject({ state: 'done', forced: true, seq: 102 });

    h.publish.mockRejectedValueOnce(new Error('stream full'));
    await expect(h.service.replay(8)).rejects.toThrow('stream full');
    expect(h.mark(8)).toBeNull();
    // forced says a replay was repeated, not that the flag was set.
    await expect(h.service.replay(8, undefined, { force: true })).resolves.toMatchObject({ replayOf: 8, forced: false });
  });

  it('replays a record without payload only with an edit, validated like ingress and routed again; refusals claim nothing', async () => {
    const h = harness([record(9, { originalMissing: true }, [], new Uint8Array()), record(10, { consumer: 'fraud-review', subject: 'orders.created.eu.high.p0' })]);
    await expect(h.service.replay(9)).rejects.toThrow(/record 9 has no payload/);
    await expect(h.service.replay(9, order({ amount: 'ten' }))).rejects.toBeInstanceOf(ValidationFailedError);
    // The edit routes to a std subject, which the failed durable's filter (high only) never takes.
    await expect(h.service.replay(10, order({ region: 'eu' }))).rejects.toBeInstanceOf(ReplayUnreachableError);
    expect(h.publish).not.toHaveBeenCalled();
    expect(h.kv.entries.size).toBe(0);

    const result = await h.service.replay(9, order());
    const [[subject, data, opts]] = h.publish.mock.calls;
    expect(subject).toMatch(/^nestjet-redeliver\.ORDERS\.fulfillment\.orders\.created\.us\.std\.p\d$/);
    expect(JSON.parse(data as string)).toEqual(order());
    expect(opts.headers).toContainEqual(['content-type', 'application/json']);
    expect(result.subject).toBe(subject.replace('nestjet-redeliver.ORDERS.fulfillment.', ''));
    expect(result.payloadDigests).toEqual({ before: sha256(new Uint8Array()), after: sha256(data) });
    expect(h.mark(9)).toMatchObject({ edited: true, state: 'done' });
  });

  it('refuses a record whose subject is no declared topic, however it got into the DLQ', async () => {
    const h = harness([record(11, { subject: '$JS.API.STREAM.PURGE.ORDERS' })]);
    await expect(h.service.replay(11)).rejects.toThrow(ReplayRefusedError);
    expect(h.publish).not.toHaveBeenCalled();
  });

  it('bulk replay skips records without payload and those replayed before (unless forced); a dry run publishes and marks nothing', async () => {
    const h = harness([record(1), record(2, { originalMissing: true }, [], new Uint8Array()), record(3), record(4, { consumer: 'notifications' })]);
    h.kv.seed('3', doneMark());
    const filter = { consumer: 'fulfillment' };

    const dry = await h.service.replayMatching(filter, true);
    expect(dry).toMatchObject({ matched: 3, replayed: [], truncated: false });
    expect(dry.skipped.map((s) => [s.id, s.reason])).toEqual([[2, expect.stringMatching(/no payload/)], [3, 'replayed before']]);
    expect(h.publish).not.toHaveBeenCalled();
    expect([...h.kv.entries.keys()]).toEqual(['3']);

    const real = await h.service.replayMatching(filter, false);
    expect(real.replayed.map((r) => r.replayOf)).toEqual([1]);
    expect(real.skipped.map((s) => s.id)).toEqual([2, 3]);
    expect(real.skipped[1]!.previousReplay).toMatchObject({ state: 'done' });

    const forced = await h.service.replayMatching(filter, false, { force: true });
    expect(forced.replayed.map((r) => [r.replayOf, r.forced])).toEqual([[1, true], [3, true]]);
  });

  it('purges one record only when it exists, and in bulk only the matches, none on a dry run', async () => {
    const h = harness([record(1), record(2, { consumer: 'notifications' }), record(3)]);
    await expect(h.service.purge(99)).rejects.toBeInstanceOf(DeadLetterNotFoundError);
    expect(h.jsm.streams.deleteMessage).not.toHaveBeenCalled();
    await expect(h.service.purgeMatching({ consumer: 'notifications' }, true)).resolves.toEqual({ matched: 1, purged: 0, truncated: false });
    expect(h.jsm.streams.deleteMessage).not.toHaveBeenCalled();
    await expect(h.service.purgeMatching({ consumer: 'notifications' }, false)).resolves.toEqual({ matched: 1, purged: 1, truncated: false });
    await h.service.purge(3);
    expect([...h.streams.DLQ!.keys()]).toEqual([1]);
  });

  it('lists refused advisories oldest first, raw, with the check and reason that refused them', async () => {
    const rejection = (seq: number, check: 'malformed' | 'undeclared') => {
      const { data, headers } = encodeRejection({ check, reason: `${check} reason`, advisorySubject: '$JS.EVENT.x', advisorySequence: seq * 10, rejectedAt: '2026-12-07T00:00:00.000Z' }, new TextEncoder().encode(`raw ${seq}`));
      return { seq, subject: 'dlq.rejected', data, header: toMsgHdrs(headers), time: new Date() } as unknown as StoredMsg;
    };
    const h = harness([], [rejection(1, 'malformed'), rejection(2, 'undeclared'), rejection(3, 'malformed')]);
    const first = await h.service.listRejected({ limit: 2, after: 0 });
    expect(first.items.map((r) => [r.id, r.check, r.reason, r.advisorySequence, r.advisory])).toEqual([
      [1, 'malformed', 'malformed reason', 10, 'raw 1'],
      [2, 'undeclared', 'undeclared reason', 20, 'raw 2'],
    ]);
    expect(first.next).toBe(2);
    await expect(h.service.listRejected({ limit: 2, after: 2 })).resolves.toMatchObject({ items: [{ id: 3 }], next: null });
    // A page that fills exactly on the last one says there is no more (the CLI would print an empty "more").
    await expect(h.service.listRejected({ limit: 1, after: 2 })).resolves.toMatchObject({ items: [{ id: 3 }], next: null });
  });
});
