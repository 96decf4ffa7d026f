import { describe, expect, it } from '@jest/globals';
import { buildTopology } from '#contracts';
import { withRedelivery } from '../redelivery/redelivery.topology.js';
import { ReplayRefusedError, ReplayUnreachableError } from './dead-letter.errors.js';
import { resolveReplayTarget } from './replay-target.js';

const topology = buildTopology();
const record = (consumer = 'fulfillment', stream = 'ORDERS') => ({ id: 9, stream, consumer });
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a refusal');
};

describe('resolveReplayTarget', () => {
  it("targets the topic subject on the failed durable's redelivery subject, with the topic stream as expectStream", () => {
    const t = resolveReplayTarget(topology, record(), 'orders.created.eu.std', false);
    expect(t).toMatchObject({
      subject: 'orders.created.eu.std',
      redeliverySubject: 'nestjet-redeliver.ORDERS.fulfillment.orders.created.eu.std',
      stream: 'ORDERS',
      topic: { name: 'orders.created' },
      consumer: { durable: 'fulfillment' },
    });
  });

  it('keeps a partition durable\'s replay within that durable and its partition', () => {
    const provisioned = withRedelivery(buildTopology({ partitions: 8 }));
    const t = resolveReplayTarget(provisioned, record('ledger-p3'), 'orders.created.eu.std.p3', false);
    expect(t.redeliverySubject).toBe('nestjet-redeliver.ORDERS.ledger-p3.orders.created.eu.std.p3');
    // Its redelivery filter is no topic filter: another partition's subject is still refused, naming the topic filter only.
    expect(refusal(() => resolveReplayTarget(provisioned, record('ledger-p3'), 'orders.created.eu.std.p5', true)).message).toMatch(
      /which consumer ledger-p3 does not receive \(filter orders\.created\.\*\.\*\.p3\);/,
    );
  });

  it.each([
    ['$JS.API.STREAM.PURGE.ORDERS'],
    ['dlq.ORDERS.fulfillment'],
    ['orders.created.*.std'],
    ['orders.created.>'],
    ['orders..eu'],
    ['orders.shipped.eu.std'],
    [''],
    ['orders.created.eu.std\r\nx'],
  ])('refuses %j: not a declared topic subject', (subject) => {
    const err = refusal(() => resolveReplayTarget(topology, record(), subject, false));
    expect(err).toBeInstanceOf(ReplayRefusedError);
    expect(err).not.toBeInstanceOf(ReplayUnreachableError);
    expect(err.message).toMatch(/is not the subject of a declared topic/);
  });

  it('refuses a record whose stream or consumer does not fit the topic', () => {
    expect(refusal(() => resolveReplayTarget(topology, record('fulfillment', 'WQTEST'), 'orders.created.eu.std', false)).message).toMatch(
      /comes from stream "WQTEST", but topic orders.created lives in ORDERS/,
    );
    expect(refusal(() => resolveReplayTarget(topology, record('intruder'), 'orders.created.eu.std', false)).message).toMatch(
      /consumer "intruder" is not declared on stream ORDERS/,
    );
  });

  it('refuses a route the failed consumer does not receive, naming its filter', () => {
    const err = refusal(() => resolveReplayTarget(topology, record('fraud-review'), 'orders.created.eu.std', true));
    expect(err).toBeInstanceOf(ReplayUnreachableError);
    expect((err as ReplayUnreachableError).edited).toBe(true);
    expect(err.message).toBe(
      'the edited payload routes to orders.created.eu.std, which consumer fraud-review does not receive (filter orders.created.*.high, orders.created.*.high.*); a replay goes only to subjects its consumer\'s filter takes',
    );
    expect(resolveReplayTarget(topology, record('fraud-review'), 'orders.created.eu.high', true).consumer.durable).toBe('fraud-review');
  });
});
