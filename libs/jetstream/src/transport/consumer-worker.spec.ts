import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { JsMsg } from '@nats-io/jetstream';
import { headers, type Msg, type MsgCallback, type NatsConnection } from '@nats-io/transport-node';
import { ConsumerWorker, type ConsumerWorkerOptions } from './consumer-worker.js';

interface Pull {
  subject: string;
  batch: number;
  expires: number;
  idle_heartbeat: number;
  group?: string;
}

/**
 * The server end of one durable: pulls the worker publishes are recorded, and the
 * test delivers stream messages and status notes on the reply inbox. Each
 * message records what the client answered (+ACK, -NAK, +WPI, …).
 * (Like the connection of pull-stream.spec.ts, plus per-message answers.)
 */
function fakeServer() {
  let inbox: { subject: string; callback: MsgCallback<Msg> } | undefined;
  const pulls: Pull[] = [];
  const answers = new Map<number, string[]>();
  const unsubscribe = jest.fn();
  const publish = jest.fn((subject: string, body: string) => void pulls.push({ subject, ...JSON.parse(body) }));
  const nc = {
    options: { inboxPrefix: '_INBOX' },
    publish,
    subscribe: (subject: string, opts: { callback: MsgCallback<Msg> }) => {
      inbox = { subject, callback: opts.callback };
      return { unsubscribe, isClosed: () => false, getSubject: () => subject };
    },
  };
  const deliver = (...seqs: number[]) => {
    for (const seq of seqs) {
      const sent: string[] = [];
      answers.set(seq, sent);
      const respond = (data?: Uint8Array) => sent.push(new TextDecoder().decode(data));
      inbox!.callback(null, { subject: 'orders.created.eu.std', reply: `$JS.ACK.ORDERS.fulfillment.1.${seq}.${seq}.1733600000000000000.0`, data: new Uint8Array(), respond } as unknown as Msg);
    }
  };
  const status = (code: number, description: string, pending?: number) => {
    const h = headers(code, description);
    if (pending !== undefined) h.set('Nats-Pending-Messages', String(pending));
    inbox!.callback(null, { subject: inbox!.subject, data: new Uint8Array(), headers: h } as unknown as Msg);
  };
  return { nc: nc as unknown as NatsConnection, publish, unsubscribe, pulls, batches: () => pulls.map((p) => p.batch), deliver, status, answers: (seq: number) => answers.get(seq) };
}

/** Lets handler settlements (promise continuations) run, as the event loop would between messages. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

const workers: ConsumerWorker[] = [];

/** Two handlers at once, four queued: capacity 6, asked again once 3 are free. Handlers finish when the test says. */
function setup(options: Partial<ConsumerWorkerOptions> = {}, before?: (server: ReturnType<typeof fakeServer>) => void) {
  const server = fakeServer();
  before?.(server);
  const logger = { log: jest.fn(), warn: jest.fn(), error: jest.fn() };
  const finishers = new Map<number, (err?: Error) => void>();
  const handle = jest.fn(
    (msg: JsMsg) => new Promise<void>((resolve, reject) => void finishers.set(msg.seq, (err) => (err ? reject(err) : resolve()))),
  );
  const worker = new ConsumerWorker(server.nc, { stream: 'ORDERS', consumer: 'fulfillment', concurrency: 2, prefetch: 4, ackWaitMs: 30_000, maxKeepAliveMs: 60_000, logger, ...options }, handle);
  workers.push(worker);
  /** One at a time: the next may only start once the one before it settled. */
  const finish = async (...seqs: number[]) => {
    for (const seq of seqs) {
      finishers.get(seq)!();
      await turn();
    }
  };
  const fail = async (seq: number, err: Error) => {
    finishers.get(seq)!(err);
    await turn();
  };
  const started = () => handle.mock.calls.map(([m]) => m.seq);
  return { ...server, logger, worker, handle, finish, fail, started };
}

const warnings = (logger: { warn: jest.Mock }) => logger.warn.mock.calls.map(([w]) => w as { event: string; retryInMs?: number });

describe('ConsumerWorker', () => {
  afterEach(() => {
    for (const w of workers.splice(0)) w.stop();
    jest.useRealTimers();
  });

  it('asks for concurrency + prefetch at once, in one long poll with heartbeats on the durable', () => {
    const t = setup();
    expect(t.pulls).toEqual([{ subject: '$JS.API.CONSUMER.MSG.NEXT.ORDERS.fulfillment', batch: 6, expires: 30_000_000_000, idle_heartbeat: 5_000_000_000 }]);
  });

  it("names a partition's priority group and pulls at least twice per pin timeout, so it keeps its pin", () => {
    const t = setup({ concurrency: 1, prefetch: 1, pinned: { group: 'pinned', timeoutMs: 4_000 } });
    expect(t.pulls[0]).toMatchObject({ batch: 2, group: 'pinned', expires: 2_000_000_000, idle_heartbeat: 1_000_000_000 });
  });

  it('runs at most `concurrency` handlers; the rest wait queued, held, and start in arrival order as slots free', async () => {
    const t = setup();
    t.deliver(1, 2, 3, 4, 5, 6);
    expect(t.started()).toEqual([1, 2]);
    expect(t.worker.holding).toBe(6);
    await t.finish(2);
    expect(t.started()).toEqual([1, 2, 3]);
    await t.finish(1, 3);
    expect(t.started()).toEqual([1, 2, 3, 4, 5]);
    expect(t.worker.holding).toBe(3);
  });

  it('asks again only once half the capacity is free, then for all that is free', async () => {
    const t = setup();
    t.deliver(1, 2, 3, 4, 5, 6);
    await t.finish(1, 2);
    expect(t.batches()).toEqual([6]);
    await t.finish(3);
    expect(t.batches()).toEqual([6, 3]);
    // The 3 just asked for count as held: one more free slot is not enough for another pull.
    await t.finish(4);
    expect(t.batches()).toEqual([6, 3]);
  });

  it('counts what open pulls may still deliver, and asks again when an expired pull frees its undelivered part', () => {
    const t = setup();
    t.deliver(1, 2);
    expect(t.batches()).toEqual([6]);
    t.status(408, 'Request Timeout', 4);
    expect(t.batches()).toEqual([6, 4]);
  });

  it('with room for a single message pulls one at a time, and never for none while that one is held', async () => {
    const t = setup({ concurrency: 1, prefetch: 0 });
    t.deliver(1);
    // An expired pull frees nothing here: the one slot is taken.
    t.status(408, 'Request Timeout');
    expect(t.batches()).toEqual([1]);
    await t.finish(1);
    expect(t.batches()).toEqual([1, 1]);
  });

  it('logs a handler that throws and frees its slot for the next queued message', async () => {
    const t = setup();
    t.deliver(1, 2, 3);
    await t.fail(1, new Error('db down'));
    expect(t.logger.error).toHaveBeenCalledWith({ event: 'consumer.handle-error', consumer: 'fulfillment', error: 'Error: db down' });
    expect(t.started()).toEqual([1, 2, 3]);
    expect(t.worker.holding).toBe(2);
  });

  it('retries a refused pull after a pause that grows with each failure, and resets once a message arrives', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    const t = setup();
    t.status(503, 'No Responders');
    expect(warnings(t.logger)).toEqual([expect.objectContaining({ event: 'consumer.pull-failed', consumer: 'fulfillment', retryInMs: 500 })]);
    jest.advanceTimersByTime(499);
    expect(t.batches()).toEqual([6]);
    jest.advanceTimersByTime(1);
    expect(t.batches()).toEqual([6, 6]);
    t.status(503, 'No Responders');
    expect(warnings(t.logger)[1]!.retryInMs).toBe(1_000);
    t.deliver(1);
    // A settled handler does not pull past the pause either.
    await t.finish(1);
    expect(t.batches()).toEqual([6, 6]);
    jest.advanceTimersByTime(1_000);
    expect(t.batches()).toEqual([6, 6, 6]);
    t.status(503, 'No Responders');
    expect(warnings(t.logger)[2]!.retryInMs).toBe(500);
  });

  it('logs a pull the connection refuses to send (closed connection) as a pull failure, never throws it, and sends it after the pause', () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    const t = setup({}, (server) =>
      server.publish.mockImplementationOnce(() => {
        throw new Error('CONNECTION_CLOSED');
      }),
    );
    expect(t.batches()).toEqual([]);
    expect(warnings(t.logger)).toEqual([expect.objectContaining({ event: 'consumer.pull-failed', error: 'Error: CONNECTION_CLOSED', retryInMs: 500 })]);
    // The refused pull was never counted as open, so the retry asks for the whole capacity.
    jest.advanceTimersByTime(500);
    expect(t.batches()).toEqual([6]);
  });

  it('keeps queued and running messages alive while held, and stops once they are settled', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    const t = setup({ ackWaitMs: 4_000 });
    t.deliver(1, 2, 3);
    jest.advanceTimersByTime(2_000);
    for (const seq of [1, 2, 3]) expect(t.answers(seq)).toContain('+WPI');
    await t.finish(1);
    const touches = t.answers(1)!.length;
    jest.advanceTimersByTime(10_000);
    expect(t.answers(1)).toHaveLength(touches);
    expect(t.answers(3)!.length).toBeGreaterThan(touches);
  });

  it('after stopPulling asks for nothing more, yet runs what is held and what open pulls still deliver', async () => {
    const t = setup();
    t.deliver(1, 2);
    t.worker.stopPulling();
    t.deliver(3, 4, 5, 6);
    await t.finish(1, 2, 3, 4);
    t.status(408, 'Request Timeout', 0);
    await t.finish(5, 6);
    expect(t.started()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(t.batches()).toEqual([6]);
  });

  it('drained() resolves at once when nothing is held, else once the last held message is settled', async () => {
    const t = setup();
    await t.worker.drained();
    t.deliver(1, 2, 3);
    t.worker.stopPulling();
    let drained = false;
    let firstCaller = false;
    // Every caller is answered, not only the last.
    void t.worker.drained().then(() => (firstCaller = true));
    void t.worker.drained().then(() => (drained = true));
    await t.finish(1, 2);
    expect(drained).toBe(false);
    expect(t.started()).toEqual([1, 2, 3]);
    await t.finish(3);
    expect([firstCaller, drained]).toEqual([true, true]);
    t.worker.stop();
    expect(t.unsubscribe).toHaveBeenCalled();
  });

  it('abandon() naks everything held at once, counts running and queued, and starts or asks for nothing more', async () => {
    const t = setup();
    t.deliver(1, 2, 3, 4, 5);
    expect(t.worker.abandon()).toEqual({ running: 2, queued: 3 });
    for (const seq of [1, 2, 3, 4, 5]) expect(t.answers(seq)).toEqual(['-NAK']);
    expect(t.worker.holding).toBe(0);
    await t.finish(1, 2);
    expect(t.started()).toEqual([1, 2]);
    expect(t.batches()).toEqual([6]);
    // A pull still open delivers after the give-up: straight back, never run.
    t.deliver(6);
    expect(t.answers(6)).toEqual(['-NAK']);
    expect(t.started()).toEqual([1, 2]);
  });

  it('release() drops its pulls and asks again, for all that is free, only after the cooldown', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    const t = setup({ concurrency: 1, prefetch: 1, pinned: { group: 'pinned', timeoutMs: 4_000 } });
    t.deliver(1);
    t.worker.release(4_000);
    expect(t.unsubscribe).toHaveBeenCalledTimes(1);
    await t.finish(1);
    jest.advanceTimersByTime(3_999);
    expect(t.batches()).toEqual([2]);
    jest.advanceTimersByTime(1);
    expect(t.batches()).toEqual([2, 2]);
  });

  it('release() after stopPulling leaves it stopped', () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    const t = setup({ concurrency: 1, prefetch: 1, pinned: { group: 'pinned', timeoutMs: 4_000 } });
    t.worker.stopPulling();
    t.worker.release(1_000);
    jest.advanceTimersByTime(5_000);
    expect(t.unsubscribe).not.toHaveBeenCalled();
    expect(t.batches()).toEqual([2]);
  });
});
