import { describe, expect, it } from '@jest/globals';
import { buildTopology } from '#contracts';
import { DEFAULT_AUDIT_OPTIONS, withAudit } from '../audit/audit.topology.js';
import { DEFAULT_DEAD_LETTER_OPTIONS, withDeadLetters } from '../dead-letter/dead-letter.topology.js';
import { withProcessedMarkers } from '../idempotency/idempotency.topology.js';
import { withRedelivery } from '../redelivery/redelivery.topology.js';
import { PINNED_GROUP } from '../topology/jetstream-config.mapper.js';
import { natsInboxPrefix, natsPermissions, natsUsers, type NatsSubjectPermission } from './nats-permissions.js';

/** nats-server's matching: `*` one token, `>` one or more; deny wins over allow. */
function matches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}
const allows = (perm: NatsSubjectPermission, subject: string) =>
  perm.allow.some((a) => matches(a, subject)) && !(perm.deny ?? []).some((d) => matches(d, subject));

const topology = withProcessedMarkers(withDeadLetters(buildTopology(), { ...DEFAULT_DEAD_LETTER_OPTIONS, extraStreams: ['WQTEST'] }), { replicas: 1, maxBytes: 1 << 20 });
const perms = natsPermissions(topology);
const USERS = natsUsers(topology);
const publishers = (subject: string) => USERS.filter((c) => allows(perms[c].publish, subject));

describe('natsPermissions', () => {
  it('lets only the producer (and the operator) publish to topic subjects: replays go to redelivery subjects', () => {
    expect(publishers('orders.created.eu.high')).toEqual(['producer', 'operator']);
    expect(publishers('orders.paid')).toEqual(['producer', 'operator']);
    // Not a topic: the stream takes it, but no component of ours publishes there.
    expect(publishers('orders.shipped.eu.std')).toEqual(['operator']);
  });

  it("lets only the producer and dlq (replays, whoever serves the admin API) publish a durable's redelivery subjects, no worker", () => {
    for (const t of [topology, withRedelivery(topology)]) {
      const p = natsPermissions(t);
      const by = (subject: string) => natsUsers(t).filter((c) => allows(p[c].publish, subject));
      expect(by('nestjet-redeliver.ORDERS.fulfillment.orders.created.eu.std')).toEqual(['producer', 'dlq', 'operator']);
      expect(by('nestjet-redeliver.ORDERS.ledger-p3.orders.created.eu.std.p3')).toEqual(['producer', 'dlq', 'operator']);
      // A stream without topics has no redelivery subjects.
      expect(by('nestjet-redeliver.WQTEST.x.wq.a')).toEqual(['operator']);
      // Workers are refused explicitly, not only by omission.
      expect(p['consumer-orders'].publish.deny).toContain('nestjet-redeliver.ORDERS.>');
      expect(p['consumer-ledger'].publish.deny).toContain('nestjet-redeliver.ORDERS.>');
    }
  });

  it('has one user per consumer group: orders (fulfillment, notifications, fraud review) and ledger (its partitions)', () => {
    expect(USERS).toEqual(['producer', 'consumer-orders', 'consumer-ledger', 'dlq', 'provisioner', 'operator']);
  });

  it('lets nobody publish server advisories, dlq write any dead letter, and a group only its own durables\'', () => {
    expect(publishers('$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.ORDERS.fulfillment')).toEqual([]);
    expect(publishers('$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.ORDERS.x')).toEqual([]);
    expect(publishers('dlq.ORDERS.fulfillment')).toEqual(['consumer-orders', 'dlq']);
    expect(publishers('dlq.ORDERS.ledger-p3')).toEqual(['consumer-ledger', 'dlq']);
    expect(publishers('dlq.ORDERS.other')).toEqual(['dlq']);
    expect(publishers('dlq.rejected')).toEqual(['dlq']);
  });

  it('keeps stream and consumer management with the provisioner (and operator); deletes and purges with the operator', () => {
    expect(publishers('$JS.API.STREAM.CREATE.ORDERS')).toEqual(['provisioner', 'operator']);
    expect(publishers('$JS.API.STREAM.UPDATE.DLQ')).toEqual(['provisioner', 'operator']);
    expect(publishers('$JS.API.STREAM.CREATE.KV_nestjet_failures')).toEqual(['provisioner', 'operator']);
    expect(publishers('$JS.API.CONSUMER.CREATE.ORDERS.fulfillment.orders.created.>')).toEqual(['provisioner', 'operator']);
    expect(publishers('$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.fulfillment')).toEqual(['provisioner', 'operator']);
    for (const call of ['STREAM.DELETE.ORDERS', 'STREAM.PURGE.ORDERS', 'CONSUMER.DELETE.ORDERS.fulfillment', 'STREAM.CREATE.OTHER']) {
      expect({ call, by: publishers(`$JS.API.${call}`) }).toEqual({ call, by: ['operator'] });
    }
  });

  it('lets only the producer (the admin API) append audit records and read them, and nobody remove or reconfigure them', () => {
    const audited = natsPermissions(withAudit(topology, DEFAULT_AUDIT_OPTIONS));
    const by = (subject: string) => natsUsers(withAudit(topology, DEFAULT_AUDIT_OPTIONS)).filter((c) => allows(audited[c]!.publish, subject));
    expect(by('audit.dlq.purge')).toEqual(['producer']);
    expect(by('$JS.API.DIRECT.GET.AUDIT')).toEqual(['producer', 'operator']);
    for (const call of ['STREAM.MSG.DELETE.AUDIT', 'STREAM.PURGE.AUDIT', 'STREAM.DELETE.AUDIT']) {
      expect({ call, by: by(`$JS.API.${call}`) }).toEqual({ call, by: [] });
    }
    // Applying a new retention is the provisioner's; the server refuses an update that turns deny_delete or deny_purge off.
    expect(by('$JS.API.STREAM.UPDATE.AUDIT')).toEqual(['provisioner']);
    expect(by('$JS.API.STREAM.CREATE.AUDIT')).toEqual(['provisioner', 'operator']);
  });

  it('lets each worker pull and ack only its own durables, in both ack subject forms', () => {
    expect(publishers('$JS.API.CONSUMER.MSG.NEXT.ORDERS.fulfillment')).toEqual(['consumer-orders', 'operator']);
    expect(publishers('$JS.API.CONSUMER.MSG.NEXT.ORDERS.ledger-p0')).toEqual(['consumer-ledger', 'operator']);
    expect(publishers('$JS.ACK.ORDERS.fraud-review.1.42.42.1795872508907350384.0')).toEqual(['consumer-orders', 'operator']);
    expect(publishers('$JS.ACK._.ABCDEFGHIJKLMNOPQRSTUV.ORDERS.fulfillment.1.42.42.1795872508907350384.0')).toEqual(['consumer-orders', 'operator']);
    expect(publishers(`$JS.API.CONSUMER.UNPIN.ORDERS.ledger-p1.${PINNED_GROUP}`)).toEqual(['consumer-ledger', 'operator']);
    expect(publishers('$JS.API.CONSUMER.MSG.NEXT.DLQ_ADVISORIES.dlq-router')).toEqual(['dlq', 'operator']);
    expect(publishers('$JS.ACK.DLQ_ADVISORIES.dlq-router.1.7.7.1795872508907350384.0')).toEqual(['dlq', 'operator']);
    // An ack subject with missing tokens is not one the server sends.
    expect(publishers('$JS.ACK.ORDERS.fulfillment.1')).toEqual(['operator']);
  });

  it('lets each group write and read (by direct get on the key\'s subject) only its own durables\' failure records and markers', () => {
    expect(publishers('$KV.nestjet_failures.ORDERS.7.fulfillment')).toEqual(['consumer-orders', 'dlq', 'operator']);
    expect(publishers('$KV.nestjet_failures.ORDERS.7.ledger-p2')).toEqual(['consumer-ledger', 'dlq', 'operator']);
    expect(publishers('$JS.API.DIRECT.GET.KV_nestjet_failures.$KV.nestjet_failures.ORDERS.7.fulfillment')).toEqual(['consumer-orders', 'dlq', 'operator']);
    expect(publishers('$KV.nestjet_processed.fulfillment.abc')).toEqual(['consumer-orders', 'operator']);
    expect(publishers('$KV.nestjet_processed.ledger-p0.abc')).toEqual(['consumer-ledger', 'operator']);
    expect(publishers('$JS.API.DIRECT.GET.KV_nestjet_processed.$KV.nestjet_processed.ledger-p0.abc')).toEqual(['consumer-ledger', 'operator']);
    // By sequence, or with the key in the body, a read could reach any key: no group may.
    expect(publishers('$JS.API.STREAM.MSG.GET.KV_nestjet_failures')).toEqual(['dlq', 'operator']);
    expect(publishers('$JS.API.STREAM.MSG.GET.KV_nestjet_processed')).toEqual(['operator']);
    expect(publishers('$JS.API.DIRECT.GET.KV_nestjet_processed')).toEqual(['operator']);
    // The app bucket declared for the orders group.
    expect(publishers('$KV.stock_reservations.k')).toEqual(['consumer-orders', 'operator']);
  });

  it('lets a group announce presence, and watch it, only for its own durables', () => {
    expect(publishers('nestjet.presence.ORDERS.fulfillment')).toEqual(['consumer-orders', 'operator']);
    expect(publishers('nestjet.presence.ORDERS.ledger-p0')).toEqual(['consumer-ledger', 'operator']);
    expect(publishers('nestjet.presence.DLQ_ADVISORIES.dlq-router')).toEqual(['dlq', 'operator']);
    const watchers = USERS.filter((u) => allows(perms[u].subscribe, 'nestjet.presence.ORDERS.ledger-p0'));
    expect(watchers).toEqual(['producer', 'consumer-ledger', 'operator']);
  });

  it('lets dlq fetch and delete originals of declared and extra streams, nothing else; the producer only reads its topics\' stream', () => {
    for (const stream of ['ORDERS', 'WQTEST', 'DLQ']) {
      expect(publishers(`$JS.API.STREAM.MSG.DELETE.${stream}`)).toEqual(['dlq', 'operator']);
      // The producer compares an Idempotency-Key repeat with the stored message.
      expect(publishers(`$JS.API.STREAM.MSG.GET.${stream}`)).toEqual(stream === 'ORDERS' ? ['producer', 'dlq', 'operator'] : ['dlq', 'operator']);
    }
    expect(publishers('$JS.API.STREAM.MSG.DELETE.OTHER')).toEqual(['operator']);
    expect(publishers('$JS.API.DIRECT.GET.DLQ')).toEqual(['dlq', 'operator']);
  });

  it('gives every component its own inbox, which no other component may read', () => {
    for (const c of USERS) {
      const inbox = `${natsInboxPrefix(c)}.abc.1`;
      const readers = USERS.filter((r) => allows(perms[r].subscribe, inbox));
      expect({ c, readers }).toEqual({ c, readers: [c] });
    }
    expect(USERS.filter((c) => allows(perms[c].subscribe, 'orders.created.eu.std'))).toEqual(['operator']);
    expect(USERS.filter((c) => perms[c].allow_responses !== undefined)).toEqual([]);
  });

  it('follows the topology: a new topic, stream and durable appear where they belong', () => {
    const base = buildTopology();
    const more = withDeadLetters(
      {
        ...base,
        streams: [...base.streams, { ...base.streams[0]!, name: 'PAYMENTS', subjects: ['payments.>'] }],
        consumers: [...base.consumers, { ...base.consumers[0]!, stream: 'PAYMENTS', durable: 'payments-ledger', group: 'payments', filterSubjects: ['payments.>'] }],
        topics: [...base.topics, { ...base.topics[0]!, name: 'payments.captured', stream: 'PAYMENTS' }],
      },
      DEFAULT_DEAD_LETTER_OPTIONS,
    );
    const p = natsPermissions(more);
    expect(allows(p.producer.publish, 'payments.captured.eu.std')).toBe(true);
    expect(allows(p['consumer-payments'].publish, '$JS.ACK.PAYMENTS.payments-ledger.1.1.1.1.0')).toBe(true);
    expect(allows(p['consumer-orders'].publish, '$JS.ACK.PAYMENTS.payments-ledger.1.1.1.1.0')).toBe(false);
    expect(allows(p['consumer-payments'].publish, 'payments.captured')).toBe(false);
    expect(allows(p.dlq.publish, '$JS.API.STREAM.MSG.GET.PAYMENTS')).toBe(true);
    expect(allows(p.provisioner.publish, '$JS.API.STREAM.CREATE.PAYMENTS')).toBe(true);
  });

  it('refuses a topology without its dead-letter streams', () => {
    expect(() => natsPermissions(buildTopology())).toThrow(/withDeadLetters/);
  });
});
