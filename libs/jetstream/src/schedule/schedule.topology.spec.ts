import { buildTopology } from '#contracts';
import { toStreamConfig } from '../topology/jetstream-config.mapper.js';
import { withSchedules } from './schedule.topology.js';

describe('withSchedules', () => {
  const topology = withSchedules(buildTopology(), { replicas: 3 });
  const schedules = topology.streams.find((s) => s.name === 'SCHEDULES')!;

  it('adds a schedules stream that never ages out or evicts pending schedules by size', () => {
    expect(schedules).toMatchObject({
      subjects: ['schedules.pending.*', 'schedules.due.>', 'schedules.ledger.*.*', 'schedules.held.*.*.*'],
      retention: 'limits',
      replicas: 3,
      maxAgeMs: 0,
      maxBytes: -1,
      allowMsgSchedules: true,
      allowMsgTtl: true,
      allowDirect: true,
    });
    // The server refuses message schedules on a discard-new stream; with no size limit nothing is evicted.
    expect(schedules.discard).toBe('old');
  });

  it('lets every stream that carries a topic copy its due messages back under their own subject', () => {
    const orders = topology.streams.find((s) => s.name === 'ORDERS')!;
    expect(orders.sources).toEqual([{ stream: 'SCHEDULES', from: 'schedules.due.orders.>', to: 'orders.>' }]);
    expect(toStreamConfig(orders).sources).toEqual([{ name: 'SCHEDULES', subject_transforms: [{ src: 'schedules.due.orders.>', dest: 'orders.>' }] }]);
  });

  it('carries single-token wildcards over by position, in one source per stream', () => {
    const t = buildTopology();
    t.streams[0]!.subjects = ['orders.*.eu', 'refunds.>'];
    const orders = withSchedules(t, { replicas: 1 }).streams.find((s) => s.name === 'ORDERS')!;
    expect(toStreamConfig(orders).sources).toEqual([
      {
        name: 'SCHEDULES',
        subject_transforms: [
          { src: 'schedules.due.orders.*.eu', dest: 'orders.{{wildcard(1)}}.eu' },
          { src: 'schedules.due.refunds.>', dest: 'refunds.>' },
        ],
      },
    ]);
  });

  it('leaves a topology without topics alone', () => {
    const empty = { streams: [], consumers: [], topics: [], buckets: [] };
    expect(withSchedules(empty, { replicas: 1 })).toBe(empty);
  });
});
