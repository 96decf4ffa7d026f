import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { jetstreamManager } from '@nats-io/jetstream';
import {
  AppGroup,
  inspect,
  NatsServer,
  postJson,
  type Producer,
  provision,
  startConsumer,
  startProducer,
  waitFor,
  type AppProcess,
} from '#test-support';

/** A worker that stops pulling loses its partitions after 3 s; its in-flight message comes back after the 3 s ack wait. */
const TOPOLOGY = { ORDERED_PINNED_TIMEOUT_MS: '3000', CONSUMER_ACK_WAIT_MS: '3000' };
const CUSTOMERS = 100;
const PER_CUSTOMER = 100;

interface Started {
  customerId: string;
  orderId: string;
  seq: number;
  deliveryCount: number;
  at: number;
  worker: number;
}

/** Every `ledger.started` of the workers, in the order they happened. */
function starts(workers: AppProcess[]): Started[] {
  return workers
    .flatMap((w, worker) => w.events('ledger.started').map((e) => ({ ...(e as unknown as Omit<Started, 'worker'>), worker })))
    .sort((a, b) => a.at - b.at);
}

const indexOf = (orderId: string) => Number(orderId.split('-').at(-1));

describe('per-key ordering that scales out (ledger: a durable per partition, pinned to one worker at a time)', () => {
  let nats: NatsServer;
  let producer: Producer;
  const apps = new AppGroup();
  const workers: AppProcess[] = [];

  beforeAll(async () => {
    nats = await NatsServer.start();
    await provision(nats, TOPOLOGY);
    producer = await startProducer(nats, TOPOLOGY);
    for (let n = 1; n <= 3; n++) workers.push(await apps.add(startConsumer(nats, { CONSUMERS: 'ledger', ...TOPOLOGY }, `ledger-${n}`)));
  }, 120_000);

  afterAll(async () => {
    await apps.stopAll();
    await producer?.app.stop();
    await nats?.dispose();
  });

  it('10,000 orders of 100 customers on 3 workers, one SIGKILLed mid-run: each customer in publish order, nothing lost', async () => {
    // The server pins every partition to the first worker that pulls once messages arrive; the balancer hands the
    // excess to the others within seconds (a balancing tick, then the pin timeout). The kill must come mid-run
    // with the ledger spread, so from round 30 publishing slows down until a second worker is busy.
    const busyWorkers = () => workers.filter((w) => w.events('ledger.started').length > 0).length;
    const publishing = (async () => {
      for (let n = 0; n < PER_CUSTOMER; n++) {
        if (n >= 30 && busyWorkers() < 2) await new Promise((resolve) => setTimeout(resolve, 200));
        // One order per customer per round: a customer's orders are published strictly one after the other.
        const messages = Array.from({ length: CUSTOMERS }, (_, c) => ({
          payload: { orderId: `c${c}-${n}`, customerId: `cus-${c}`, amount: 10 + c, currency: 'EUR', region: ['eu', 'us', 'apac'][c % 3] },
        }));
        const res = await postJson(`${producer.url}/v1/topics/orders.created/messages/batch`, { messages });
        if (res.status !== 202) throw new Error(`round ${n}: ${res.status} ${await res.text()}`);
      }
    })();
    await waitFor('3,000 ledger entries started on at least 2 workers', () => starts(workers).length >= 3000 && busyWorkers() >= 2, 120_000, 20);
    // The victim is the busiest worker at this moment: one that certainly holds partitions with work in flight.
    const startedBefore = workers.map((w) => starts([w]).length);
    const victimIndex = startedBefore.indexOf(Math.max(...startedBefore));
    const victim = workers[victimIndex]!;
    victim.signal('SIGKILL');
    await victim.waitForExit();
    const startedByVictim = starts([victim]).length;
    await publishing;

    const total = CUSTOMERS * PER_CUSTOMER;
    await waitFor('every order entered', () => new Set(starts(workers).map((s) => s.orderId)).size >= total, 120_000, 100);
    const { nc } = await inspect(nats);
    const jsm = await jetstreamManager(nc);
    await waitFor('every partition acked up', async () => {
      const infos = await Promise.all(Array.from({ length: 8 }, (_, p) => jsm.consumers.info('ORDERS', `ledger-p${p}`)));
      return infos.every((i) => i.num_pending === 0 && i.num_ack_pending === 0);
    }, 30_000);
    await nc.close();

    const all = starts(workers);
    const violations: string[] = [];
    const last = new Map<string, Started>();
    for (const s of all) {
      const prev = last.get(s.customerId);
      // Each start is the customer's next order, or the redelivery of the one in flight when its worker died.
      if (prev && !(indexOf(s.orderId) === indexOf(prev.orderId) + 1 || (s.orderId === prev.orderId && s.deliveryCount > 1))) {
        violations.push(`${s.customerId}: ${prev.orderId} (worker ${prev.worker}) then ${s.orderId} (worker ${s.worker}, delivery ${s.deliveryCount})`);
      }
      last.set(s.customerId, s);
    }
    expect(violations.slice(0, 10)).toEqual([]);
    for (let c = 0; c < CUSTOMERS; c++) expect(last.get(`cus-${c}`)?.orderId).toBe(`c${c}-${PER_CUSTOMER - 1}`);
    const firstStarts = all.filter((s, i) => all.findIndex((t) => t.orderId === s.orderId) === i);
    expect(firstStarts[0] && indexOf(firstStarts[0].orderId)).toBe(0);

    const perWorker = workers.map((w) => starts([w]).length);
    const redelivered = all.filter((s) => s.deliveryCount > 1).length;
    // Scaled out: before the kill the ledger already ran on more than one worker, and after it the survivors took over.
    expect(startedBefore.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
    expect(startedByVictim).toBeGreaterThan(0);
    expect(perWorker.filter((_, i) => i !== victimIndex).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(total - startedByVictim);
    process.stdout.write(
      `ordered: ${total} orders of ${CUSTOMERS} customers, starts per worker ${perWorker.join('/')} (worker ${victimIndex + 1} SIGKILLed after ${startedByVictim}), ` +
        `${redelivered} redelivered in-flight, ${violations.length} out of order\n`,
    );
  }, 300_000);
});
