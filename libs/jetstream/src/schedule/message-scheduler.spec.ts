import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { JetStreamApiError, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import { wildcardMatches } from '#contracts';
import { PublishRejectedError } from '../errors/publish.errors.js';
import { toMsgHdrs, type HeaderEntries } from '../headers/message-headers.js';
import type { JetStreamPublisher, PublishOptions, PublishResult } from '../publisher/jetstream.publisher.js';
import { MessageScheduler, type ScheduleRequest } from './message-scheduler.js';
import { ScheduleNotFoundError } from './schedule.errors.js';
import { heldSubject, ledgerSubject } from './schedule.record.js';

const notFound = () => new JetStreamApiError({ code: 404, err_code: 10037, description: 'no message found' });
const outage = () => new JetStreamApiError({ code: 503, err_code: 10008, description: 'JetStream system temporarily unavailable' });


/**
 * SCHEDULES in memory, as the scheduler reaches it through nats.js and the
 * publisher: msgID deduplication before the expected-last-subject-sequence
 * check (as the server orders them), direct gets by sequence or subject, a
 * batch get's `pending`, deletes by sequence. The server firing a schedule is `deliver`.
 */
function fakeSchedules() {
  let msgs: StoredMsg[] = [];
  const msgIds = new Map<string, number>();
  let last = 0;
  const store = async (subject: string, data: Uint8Array | string, o: PublishOptions): Promise<PublishResult> => {
    const id = o.msgId ?? `generated-${last + 1}`;
    if (msgIds.has(id)) return { id, stream: 'SCHEDULES', seq: msgIds.get(id)!, duplicate: true };
    const headers = (o.headers ?? []) as HeaderEntries;
    if (headers.some(([k, v]) => k === 'Nats-Expected-Last-Subject-Sequence' && v === '0') && msgs.some((m) => m.subject === subject)) {
      const cause = new JetStreamApiError({ code: 400, err_code: 10071, description: 'wrong last sequence: 1' });
      throw new PublishRejectedError(`JetStream refused message ${id}: ${cause.message}`, { cause });
    }
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    msgs.push({ seq: ++last, subject, data: bytes, header: toMsgHdrs(headers), timestamp: '2026-01-01T00:00:00.000Z' } as StoredMsg);
    msgIds.set(id, last);
    return { id, stream: 'SCHEDULES', seq: last, duplicate: false };
  };
  const first = (filter: string, from = 1) => msgs.find((m) => m.seq >= from && wildcardMatches(filter, m.subject));
  const jsm = {
    streams: {
      info: jest.fn(async (_stream: string) => ({ state: { messages: msgs.length, bytes: msgs.reduce((n, m) => n + m.data.byteLength, 0), last_seq: last } })),
      deleteMessage: jest.fn(async (_stream: string, seq: number, _erase?: boolean) => {
        if (!msgs.some((m) => m.seq === seq)) throw notFound();
        msgs = msgs.filter((m) => m.seq !== seq);
        return true;
      }),
    },
    direct: {
      getMessage: jest.fn(async (_stream: string, q: { seq?: number; next_by_subj?: string; last_by_subj?: string }) =>
        q.last_by_subj ? (msgs.filter((m) => m.subject === q.last_by_subj).at(-1) ?? null) : (first(q.next_by_subj ?? '>', q.seq) ?? null),
      ),
      getBatch: jest.fn(async (_stream: string, q: { seq: number; next_by_subj: string }) => {
        const found = msgs.filter((m) => m.seq >= q.seq && wildcardMatches(q.next_by_subj, m.subject));
        if (found.length === 0) throw notFound();
        return [{ ...found[0]!, pending: found.length - 1 }];
      }),
    },
  };
  const deliver = (id: string) => void (msgs = msgs.filter((m) => m.subject !== `schedules.pending.${id}`));
  return { jsm, store, publish: jest.fn(store), deliver, subjects: () => msgs.map((m) => m.subject) };
}

function setup(caps: { messages?: number; bytes?: number; perCaller?: number; bytesPerCaller?: number } = {}) {
  const s = fakeSchedules();
  const publisher = { publish: s.publish } as unknown as JetStreamPublisher;
  const scheduler = new MessageScheduler(s.jsm as unknown as JetStreamManager, publisher, caps.messages, caps.bytes, caps.perCaller, caps.bytesPerCaller);
  return { ...s, scheduler };
}

const deliverAt = new Date('2026-01-01T01:00:00.000Z');
const request = (n: number, over: Partial<ScheduleRequest> = {}): ScheduleRequest => ({
  id: `s-${n}`,
  msgId: `m-${n}`,
  subject: 'orders.created.eu.std',
  data: '{"orderId":"o-1"}',
  deliverAt,
  scheduledBy: 'alice',
  ...over,
});
const published = (publish: ReturnType<typeof setup>['publish'], prefix: string) => publish.mock.calls.filter(([s]) => s.startsWith(prefix));

describe('MessageScheduler', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it("stores the message on its id's own subject, with the server's schedule headers after the caller's", async () => {
    const { scheduler, publish } = setup();
    const result = await scheduler.schedule(request(1, { headers: [['x-tenant', 'a']], topic: 'orders.created' }));
    expect(result).toMatchObject({ stream: 'SCHEDULES', seq: 1, duplicate: false, scheduleId: 's-1', deliverAt: '2026-01-01T01:00:00.000Z' });
    const [subject, , options] = publish.mock.calls[0]!;
    expect(subject).toBe('schedules.pending.s-1');
    expect(options).toMatchObject({ msgId: 'm-1', expectStream: 'SCHEDULES', topic: 'orders.created' });
    expect(options.headers).toEqual([
      ['x-tenant', 'a'],
      ['Nats-Schedule', '@at 2026-01-01T01:00:00.000Z'],
      ['Nats-Schedule-Target', 'schedules.due.orders.created.eu.std'],
      ['Nats-Schedule-TTL', '24h'],
      ['Nats-Expected-Last-Subject-Sequence', '0'],
      ['nestjet-scheduled-by', 'alice'],
      // The delivered copy has no Nats-Msg-Id of its own: idempotent handlers key on this one.
      ['nestjet-origin-msg-id', 'm-1'],
      ['nestjet-published-at', String(deliverAt.getTime())],
    ]);
    // No per-caller cap, no ledger.
    expect(publish).toHaveBeenCalledTimes(1);
  });

  it("answers a retry with the first request's delivery time, and with none once that one was delivered", async () => {
    const { scheduler, deliver } = setup();
    await scheduler.schedule(request(1));
    const later = new Date('2026-01-02T00:00:00.000Z');
    await expect(scheduler.schedule(request(1, { deliverAt: later }))).resolves.toMatchObject({ duplicate: true, seq: 1, deliverAt: deliverAt.toISOString() });
    deliver('s-1');
    const repeat = await scheduler.schedule(request(1, { deliverAt: later }));
    expect(repeat).toMatchObject({ duplicate: true, scheduleId: 's-1' });
    expect(repeat.deliverAt).toBeUndefined();
  });

  it('never replaces a pending schedule: a new msgID for its id is a duplicate of the pending one', async () => {
    const { scheduler, subjects } = setup();
    await scheduler.schedule(request(1));
    const again = await scheduler.schedule(request(1, { msgId: 'm-other', deliverAt: new Date('2026-01-03T00:00:00.000Z') }));
    expect(again).toEqual({ id: 'm-other', stream: 'SCHEDULES', seq: 1, duplicate: true, scheduleId: 's-1', deliverAt: deliverAt.toISOString() });
    expect(subjects()).toEqual(['schedules.pending.s-1']);
  });

  it('passes on a refusal other than a pending subject', async () => {
    const { scheduler, publish } = setup();
    const refused = new PublishRejectedError('JetStream refused message m-1: maximum payload exceeded', { cause: new JetStreamApiError({ code: 400, err_code: 10054, description: 'message size exceeds maximum allowed' }) });
    publish.mockRejectedValueOnce(refused);
    await expect(scheduler.schedule(request(1))).rejects.toBe(refused);
  });

  it('refuses a schedule when SCHEDULES holds its most messages, or would pass its most bytes, storing nothing', async () => {
    const full = setup({ messages: 2 });
    full.jsm.streams.info.mockResolvedValue({ state: { messages: 2, bytes: 0, last_seq: 2 } });
    await expect(full.scheduler.schedule(request(1))).rejects.toMatchObject({ name: 'SchedulesFullError', measure: 'messages', message: expect.stringMatching(/^2 schedules are pending/) });
    expect(full.publish).not.toHaveBeenCalled();
    const bytes = setup({ bytes: 100 });
    bytes.jsm.streams.info.mockResolvedValue({ state: { messages: 1, bytes: 95, last_seq: 1 } });
    // Counted in UTF-8 bytes: 'héllo' is 6, one over.
    await expect(bytes.scheduler.schedule(request(1, { data: 'héllo' }))).rejects.toMatchObject({ measure: 'bytes', limit: 100 });
    await expect(bytes.scheduler.schedule(request(2, { data: 'hello' }))).resolves.toMatchObject({ duplicate: false });
  });

  it('reads the SCHEDULES count at most once a second, shared by concurrent schedules, and forgets a failed read', async () => {
    jest.useFakeTimers();
    const { scheduler, jsm } = setup({ messages: 100 });
    await Promise.all([1, 2, 3].map((n) => scheduler.schedule(request(n))));
    expect(jsm.streams.info).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(1_000);
    await scheduler.schedule(request(4));
    expect(jsm.streams.info).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(1);
    jsm.streams.info.mockRejectedValueOnce(outage());
    await expect(scheduler.schedule(request(5))).rejects.toThrow('temporarily unavailable');
    await scheduler.schedule(request(5));
    expect(jsm.streams.info).toHaveBeenCalledTimes(3);
  });

  it("refuses a caller's schedule beyond its most pending ones, counting only its own", async () => {
    const { scheduler, publish } = setup({ perCaller: 2 });
    await scheduler.schedule(request(1));
    await scheduler.schedule(request(2));
    await expect(scheduler.schedule(request(3))).rejects.toMatchObject({ measure: 'per-caller', message: expect.stringMatching(/^2 of your schedules are pending/) });
    expect(published(publish, 'schedules.pending.').map(([s]) => s)).toEqual(['schedules.pending.s-1', 'schedules.pending.s-2']);
    await expect(scheduler.schedule(request(4, { scheduledBy: 'bob' }))).resolves.toMatchObject({ duplicate: false });
  });

  it('answers a retry of a stored schedule as its duplicate even when the caller is at its cap; a new one is still refused', async () => {
    const { scheduler } = setup({ perCaller: 1, bytesPerCaller: 4096 });
    await scheduler.schedule(request(1));
    await expect(scheduler.schedule(request(1))).resolves.toMatchObject({ duplicate: true, scheduleId: 's-1', deliverAt: deliverAt.toISOString() });
    // At the cap a retry is told what was stored; a new schedule is still refused.
    await expect(scheduler.schedule(request(2))).rejects.toMatchObject({ measure: 'per-caller' });
  });

  it("counts a caller's pending bytes in 4096-byte units, at least one per schedule", async () => {
    const { scheduler, publish } = setup({ bytesPerCaller: 3 * 4096 });
    await scheduler.schedule(request(1, { data: new Uint8Array(4097) }));
    await scheduler.schedule(request(2, { data: new Uint8Array(4096) }));
    await expect(scheduler.schedule(request(3, { data: new Uint8Array(0) }))).rejects.toMatchObject({ measure: 'bytes-per-caller', limit: 3 * 4096 });
    expect(published(publish, 'schedules.held.').map(([s]) => s)).toEqual([heldSubject('alice', 's-1', 0), heldSubject('alice', 's-1', 1), heldSubject('alice', 's-2', 0)]);
    expect(published(publish, 'schedules.ledger.')).toEqual([]);
  });

  it('lets ledger entries expire when the schedule falls due, and stores the schedule when one cannot be written', async () => {
    jest.useFakeTimers({ now: Date.parse('2026-01-01T00:00:00.000Z') });
    const { scheduler, publish, store } = setup({ perCaller: 10 });
    await scheduler.schedule(request(1, { deliverAt: new Date('2026-01-01T00:00:01.500Z') }));
    // Already due (a clock behind): the server takes no TTL under a second.
    await scheduler.schedule(request(2, { deliverAt: new Date('2025-12-31T23:59:00.000Z') }));
    expect(published(publish, 'schedules.ledger.').map(([s, , o]) => [s, o.headers])).toEqual([
      [ledgerSubject('alice', 's-1'), [['Nats-TTL', '2s']]],
      [ledgerSubject('alice', 's-2'), [['Nats-TTL', '1s']]],
    ]);
    publish.mockImplementation(async (s, d, o) => (s.startsWith('schedules.ledger.') ? Promise.reject(outage()) : store(s, d, o)));
    await expect(scheduler.schedule(request(3))).resolves.toMatchObject({ duplicate: false, scheduleId: 's-3' });
  });

  it('refuses when the ledger cannot be counted (an outage is not an empty ledger)', async () => {
    const { scheduler, jsm, publish } = setup({ perCaller: 2 });
    jsm.direct.getBatch.mockRejectedValueOnce(outage());
    await expect(scheduler.schedule(request(1))).rejects.toThrow('temporarily unavailable');
    expect(publish).not.toHaveBeenCalled();
  });

  it("lists one owner's pending schedules oldest first, in pages that continue where the last stopped", async () => {
    const { scheduler } = setup({ perCaller: 10 });
    for (const [n, by] of [[1, 'alice'], [2, 'bob'], [3, 'alice'], [4, 'alice']] as const) await scheduler.schedule(request(n, { scheduledBy: by }));
    const page = await scheduler.list({ after: 0, limit: 2 }, { scheduledBy: 'alice' });
    expect(page.items.map((i) => [i.id, i.seq])).toEqual([['s-1', 1], ['s-3', 5]]);
    expect(page.items[0]).toMatchObject({ subject: 'orders.created.eu.std', deliverAt: deliverAt.toISOString(), scheduledBy: 'alice', payload: { orderId: 'o-1' } });
    await expect(scheduler.list({ after: 5, limit: 2 }, { scheduledBy: 'alice' })).resolves.toMatchObject({ items: [{ id: 's-4' }], next: null });
    expect((await scheduler.list({ after: 0, limit: 10 })).items.map((i) => i.id)).toEqual(['s-1', 's-2', 's-3', 's-4']);
  });

  it("ends an owner's page after 5000 others' schedules, and the next page goes on from there", async () => {
    const { scheduler, store } = setup();
    for (let n = 1; n <= 5_001; n++) await store(`schedules.pending.b-${n}`, '', { headers: [['nestjet-scheduled-by', 'bob']] });
    await scheduler.schedule(request(1));
    await expect(scheduler.list({ after: 0, limit: 10 }, { scheduledBy: 'alice' })).resolves.toEqual({ items: [], next: 5_000 });
    await expect(scheduler.list({ after: 5_000, limit: 10 }, { scheduledBy: 'alice' })).resolves.toMatchObject({ items: [{ id: 's-1' }], next: null });
  });

  it("hides another principal's schedule as if it did not exist, and cancels nothing of it", async () => {
    const { scheduler, jsm } = setup();
    await scheduler.schedule(request(1));
    await expect(scheduler.get('s-1', { scheduledBy: 'bob' })).rejects.toThrow(new ScheduleNotFoundError('s-1'));
    await expect(scheduler.cancel('s-1', { scheduledBy: 'bob' })).rejects.toThrow('no pending schedule s-1 (never made, cancelled, or already delivered)');
    expect(jsm.streams.deleteMessage).not.toHaveBeenCalled();
    await expect(scheduler.get('s-1', { scheduledBy: 'alice' })).resolves.toMatchObject({ id: 's-1', seq: 1 });
  });

  it("cancels by sequence and takes the schedule off its caller's ledgers, so the caller may schedule again", async () => {
    const { scheduler, jsm, subjects } = setup({ perCaller: 1, bytesPerCaller: 2 * 4096 });
    await scheduler.schedule(request(1, { data: new Uint8Array(5000) }));
    await expect(scheduler.schedule(request(2))).rejects.toMatchObject({ measure: 'per-caller' });
    await expect(scheduler.cancel('s-1', { scheduledBy: 'alice' })).resolves.toMatchObject({ id: 's-1', seq: 1 });
    expect(jsm.streams.deleteMessage.mock.calls[0]).toEqual(['SCHEDULES', 1, false]);
    expect(subjects()).toEqual([]);
    await expect(scheduler.schedule(request(2))).resolves.toMatchObject({ duplicate: false });
  });

  it('says not found when the schedule fired between the read and the delete, and passes on an outage', async () => {
    const { scheduler, jsm } = setup({ perCaller: 5 });
    await scheduler.schedule(request(1));
    jsm.streams.deleteMessage.mockRejectedValueOnce(notFound()).mockRejectedValueOnce(outage());
    await expect(scheduler.cancel('s-1')).rejects.toBeInstanceOf(ScheduleNotFoundError);
    await expect(scheduler.cancel('s-1')).rejects.toThrow('temporarily unavailable');
    // Neither touches the ledger: a fired schedule's entry expires by itself; after an outage it may still be pending.
    expect(jsm.streams.deleteMessage).toHaveBeenCalledTimes(2);
  });
});
