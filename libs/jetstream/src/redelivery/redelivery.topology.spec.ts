import { describe, expect, it } from '@jest/globals';
import { buildTopology, type Topology } from '#contracts';
import { withSchedules } from '../schedule/schedule.topology.js';
import { toConsumerConfig, toStreamConfig } from '../topology/jetstream-config.mapper.js';
import { withRedelivery } from './redelivery.topology.js';

const base = buildTopology({ partitions: 4 });
const topology = withRedelivery(base);
const consumer = (t: Topology, durable: string) => t.consumers.find((c) => c.durable === durable)!;

describe('withRedelivery', () => {
  it("adds the stream's redelivery subjects to every stream that carries a topic", () => {
    const orders = topology.streams.find((s) => s.name === 'ORDERS')!;
    expect(orders.subjects).toEqual(['orders.>', 'nestjet-redeliver.ORDERS.>']);
    expect(toStreamConfig(orders).subjects).toEqual(['orders.>', 'nestjet-redeliver.ORDERS.>']);
  });

  it("adds each durable's own redelivery subjects to its filter, and nobody else's", () => {
    expect(toConsumerConfig(consumer(topology, 'fulfillment'))).toMatchObject({ filter_subjects: ['orders.created.>', 'nestjet-redeliver.ORDERS.fulfillment.>'] });
    expect(toConsumerConfig(consumer(topology, 'fulfillment')).filter_subject).toBeUndefined();
    // Fan-out on orders.> no longer covers the other durables' copies: they are outside orders.>.
    expect(consumer(topology, 'notifications').filterSubjects).toEqual(['orders.>', 'nestjet-redeliver.ORDERS.notifications.>']);
    expect(consumer(topology, 'fraud-review').filterSubjects).toEqual(['orders.created.*.high', 'orders.created.*.high.*', 'nestjet-redeliver.ORDERS.fraud-review.>']);
  });

  it('keeps a partition durable to its partition and its own copies', () => {
    expect(topology.consumers.filter((c) => c.partition).map((c) => c.filterSubjects)).toEqual(
      [0, 1, 2, 3].map((p) => [`orders.created.*.*.p${p}`, `nestjet-redeliver.ORDERS.ledger-p${p}.>`]),
    );
    expect(toConsumerConfig(consumer(topology, 'ledger-p2'))).toMatchObject({ priority_groups: ['pinned'], filter_subjects: ['orders.created.*.*.p2', 'nestjet-redeliver.ORDERS.ledger-p2.>'] });
  });

  it("gives a durable without a filter the stream's own subjects, so it stops reading other durables' copies", () => {
    const open: Topology = { ...base, consumers: [{ ...base.consumers[0]!, durable: 'audit-everything', filterSubjects: [] }] };
    expect(consumer(withRedelivery(open), 'audit-everything').filterSubjects).toEqual(['orders.>', 'nestjet-redeliver.ORDERS.audit-everything.>']);
  });

  it('leaves streams without topics, and their consumers, alone', () => {
    const other: Topology = {
      ...base,
      streams: [...base.streams, { ...base.streams[0]!, name: 'WQTEST', subjects: ['wq.>'] }],
      consumers: [...base.consumers, { ...base.consumers[0]!, stream: 'WQTEST', durable: 'wq', filterSubjects: [] }],
    };
    const t = withRedelivery(other);
    expect(t.streams.find((s) => s.name === 'WQTEST')!.subjects).toEqual(['wq.>']);
    expect(consumer(t, 'wq').filterSubjects).toEqual([]);
    const none = { streams: [], consumers: [], topics: [], buckets: [] };
    expect(withRedelivery(none)).toBe(none);
  });

  it('changes nothing when applied twice', () => {
    expect(withRedelivery(topology)).toEqual(topology);
  });

  it('lets schedules deliver a rescheduled copy onto its redelivery subject (withSchedules after it), through a source of its own', () => {
    const orders = withSchedules(topology, { replicas: 1 }).streams.find((s) => s.name === 'ORDERS')!;
    // The topic subjects' source stays as it was before redelivery subjects: a changed one would copy SCHEDULES' due messages again.
    const before = toStreamConfig(withSchedules(base, { replicas: 1 }).streams.find((s) => s.name === 'ORDERS')!).sources!;
    expect(toStreamConfig(orders).sources).toEqual([
      ...before,
      { name: 'SCHEDULES', subject_transforms: [{ src: 'schedules.due.nestjet-redeliver.ORDERS.>', dest: 'nestjet-redeliver.ORDERS.>' }] },
    ]);
    expect(before).toEqual([{ name: 'SCHEDULES', subject_transforms: [{ src: 'schedules.due.orders.>', dest: 'orders.>' }] }]);
  });
});
