import { describe, expect, it } from '@jest/globals';
import { buildTopology } from '#contracts';
import { diffConfig, toConsumerConfig, toStreamConfig, UPDATABLE_STREAM_FIELDS } from './jetstream-config.mapper.js';

describe('jetstream config mapping', () => {
  const topology = buildTopology({ ackWaitMs: 2_000, duplicateWindowMs: 60_000 });

  it('converts durations to nanoseconds', () => {
    const stream = toStreamConfig(topology.streams[0]!);
    expect(stream.duplicate_window).toBe(60_000 * 1_000_000);
    const consumer = toConsumerConfig(topology.consumers[0]!);
    expect(consumer.ack_wait).toBe(2_000 * 1_000_000);
    expect(consumer.ack_policy).toBe('explicit');
  });

  it('declares discard new, so a full stream refuses instead of evicting, and updates it in place', () => {
    expect(toStreamConfig(topology.streams[0]!).discard).toBe('new');
    expect(toStreamConfig({ ...topology.streams[0]!, discard: 'old' }).discard).toBe('old');
    expect(UPDATABLE_STREAM_FIELDS).toContain('discard');
  });

  it('uses filter_subject for one filter and filter_subjects for several', () => {
    const one = toConsumerConfig({ ...topology.consumers[0]!, filterSubjects: ['a.>'] });
    expect(one.filter_subject).toBe('a.>');
    expect(one.filter_subjects).toBeUndefined();
    const two = toConsumerConfig({ ...topology.consumers[0]!, filterSubjects: ['a.>', 'b.>'] });
    expect(two.filter_subjects).toEqual(['a.>', 'b.>']);
  });

  it('makes one source per source stream, and another for the declarations of each sourceKey', () => {
    const sources = [
      { stream: 'SCHEDULES', from: 'schedules.due.a.>', to: 'a.>' },
      { stream: 'SCHEDULES', from: 'schedules.due.x.>', to: 'x.>', sourceKey: 'later' },
      { stream: 'SCHEDULES', from: 'schedules.due.b.>', to: 'b.>' },
      { stream: 'OTHER', from: 'c.>', to: 'c.>' },
    ];
    expect(toStreamConfig({ ...topology.streams[0]!, sources }).sources).toEqual([
      { name: 'SCHEDULES', subject_transforms: [{ src: 'schedules.due.a.>', dest: 'a.>' }, { src: 'schedules.due.b.>', dest: 'b.>' }] },
      { name: 'SCHEDULES', subject_transforms: [{ src: 'schedules.due.x.>', dest: 'x.>' }] },
      { name: 'OTHER', subject_transforms: [{ src: 'c.>', dest: 'c.>' }] },
    ]);
  });

  it('pins each partition durable of an ordered consumer: one in flight, a pinned-client priority group, its timeout', () => {
    const ordered = buildTopology({ partitions: 4, pinnedTimeoutMs: 3_000 }).consumers.filter((c) => c.partition);
    expect(ordered.map((c) => [c.durable, c.filterSubjects])).toEqual([0, 1, 2, 3].map((p) => [`ledger-p${p}`, [`orders.created.*.*.p${p}`]]));
    expect(toConsumerConfig(ordered[2]!)).toMatchObject({
      max_ack_pending: 1,
      priority_groups: ['pinned'],
      priority_policy: 'pinned_client',
      priority_timeout: 3_000 * 1_000_000,
    });
    expect(toConsumerConfig(topology.consumers[0]!).priority_groups).toBeUndefined();
  });

  it('reports only the differing declared fields', () => {
    const desired = toStreamConfig(topology.streams[0]!) as Record<string, unknown>;
    const actual = { ...desired, max_bytes: 1, extra: 'ignored', description: '' };
    expect(diffConfig(desired, actual, UPDATABLE_STREAM_FIELDS).map((d) => d.field)).toEqual([
      'description',
      'max_bytes',
    ]);
  });
});
