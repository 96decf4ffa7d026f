import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { checkAdvisory, isNatsName, MAX_ADVISORY_BYTES } from './dead-letter.advisory.js';
import type { AdvisorySources } from './dead-letter.topology.js';
import { propertyRuns } from '../../../../test/support/property-runs.js';

const sources: AdvisorySources = {
  declared: new Set(['ORDERS/fulfillment', 'ORDERS/notifications']),
  extraStreams: new Set(['WQTEST']),
};

/** A max-deliveries advisory as nats-server 2.15.2 sends it (captured from a real server). */
const real = {
  type: 'io.nats.jetstream.advisory.v1.max_deliver',
  id: 'E21KMHZg1qufpw12u81our',
  timestamp: '2026-11-28T13:28:08.151691404Z',
  stream: 'ORDERS',
  consumer: 'fulfillment',
  stream_seq: 1,
  deliveries: 3,
};
const realTerm = {
  type: 'io.nats.jetstream.advisory.v1.terminated',
  id: 'E21KMHZg1qufpw12u81osf',
  timestamp: '2026-11-28T13:28:08.150335779Z',
  stream: 'ORDERS',
  consumer: 'fulfillment',
  consumer_seq: 3,
  stream_seq: 2,
  deliveries: 1,
  reason: 'bad\nline',
};
const MAX_SUBJECT = '$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.ORDERS.fulfillment';
const TERM_SUBJECT = '$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.ORDERS.fulfillment';
const bytes = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
const check = (subject: string, body: unknown) => checkAdvisory(subject, bytes(body), sources);

describe('checkAdvisory', () => {
  it('accepts what nats-server sends, for declared consumers and for any consumer of an extra stream', () => {
    expect(check(MAX_SUBJECT, real)).toEqual({
      ok: true,
      declared: true,
      advisory: { kind: 'max_deliveries', stream: 'ORDERS', consumer: 'fulfillment', streamSequence: 1, deliveryCount: 3, reason: undefined, timestamp: real.timestamp },
    });
    const extra = check('$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.WQTEST.team-b_worker', { ...real, stream: 'WQTEST', consumer: 'team-b_worker' });
    expect(extra).toMatchObject({ ok: true, declared: false });
  });

  it('keeps a multi-line term() reason as text on one line instead of refusing it', () => {
    expect(check(TERM_SUBJECT, realTerm)).toMatchObject({ ok: true, advisory: { kind: 'terminated', reason: 'bad line', deliveryCount: 1 } });
  });

  it.each([
    ['not JSON', 'garbage{', /not UTF-8 JSON/],
    ['an array', [real], /not a JSON object/],
    ['another advisory type', { ...real, type: 'io.nats.jetstream.advisory.v1.nak' }, /neither a max_deliver nor a terminated/],
    ['CR/LF in the consumer', { ...real, consumer: 'fulfillment\r\nnestjet-dlq-reason: forged' }, /consumer .* is not a NATS name/],
    ['a wildcard stream', { ...real, stream: 'ORDERS.>' }, /stream .* is not a NATS name/],
    ['a space in the stream', { ...real, stream: 'OR DERS' }, /stream .* is not a NATS name/],
    ['a non-ASCII consumer', { ...real, consumer: 'fülfillment' }, /consumer .* is not a NATS name/],
    ['a 256-character consumer', { ...real, consumer: 'c'.repeat(256) }, /consumer .* is not a NATS name/],
    ['a zero sequence', { ...real, stream_seq: 0 }, /stream_seq 0 is not a positive integer/],
    ['a fractional sequence', { ...real, stream_seq: 1.5 }, /stream_seq 1.5/],
    ['a sequence beyond 2^53', { ...real, stream_seq: 2 ** 60 }, /stream_seq/],
    ['a string count', { ...real, deliveries: '3' }, /deliveries "3"/],
    ['CR/LF in the timestamp', { ...real, timestamp: '2026-11-28T13:28:08Z\r\nx' }, /timestamp/],
    ['no id', { ...real, id: undefined }, /id undefined is not a NUID/],
    ['a terminated advisory without consumer_seq', { ...realTerm, consumer_seq: undefined }, /consumer_seq/],
    ['a huge reason', { ...realTerm, reason: 'x'.repeat(5000) }, /reason must be a string/],
  ])('refuses %s as malformed', (_, body, reason) => {
    const subject = (body as { type?: string }).type?.endsWith('terminated') ? TERM_SUBJECT : MAX_SUBJECT;
    const verdict = check(subject, body);
    expect(verdict).toMatchObject({ ok: false, check: 'malformed' });
    expect(verdict.ok ? '' : verdict.reason).toMatch(reason);
  });

  it('refuses an advisory larger than any real one without parsing it', () => {
    const big = { ...real, padding: 'x'.repeat(MAX_ADVISORY_BYTES) };
    expect(check(MAX_SUBJECT, big)).toMatchObject({ ok: false, check: 'malformed', reason: expect.stringMatching(/bytes, more than/) });
  });

  it.each([
    ['another consumer in the body', MAX_SUBJECT, { ...real, consumer: 'notifications' }],
    ['another stream in the body', MAX_SUBJECT, { ...real, stream: 'WQTEST' }],
    ['a terminated body on a max-deliveries subject', MAX_SUBJECT, { ...realTerm }],
    ['a max-deliveries body on a terminated subject', TERM_SUBJECT, real],
    ['a subject with an extra token', `${MAX_SUBJECT}.x`, real],
    ['a subject of another advisory', '$JS.EVENT.ADVISORY.CONSUMER.MSG_NAKED.ORDERS.fulfillment', real],
  ])('refuses %s as a subject mismatch', (_, subject, body) => {
    expect(check(subject, body)).toMatchObject({ ok: false, check: 'subject_mismatch' });
  });

  it('refuses consumers that are not declared and streams that are neither declared nor extra', () => {
    const intruder = check('$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.ORDERS.intruder', { ...real, consumer: 'intruder' });
    expect(intruder).toEqual({ ok: false, check: 'undeclared', reason: 'consumer intruder is not declared on stream ORDERS' });
    const secrets = check('$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.SECRETS.c', { ...real, stream: 'SECRETS', consumer: 'c' });
    expect(secrets).toEqual({ ok: false, check: 'undeclared', reason: 'stream SECRETS is neither declared nor listed in DLQ_EXTRA_STREAMS' });
  });

  it('accepts nothing but the one body that agrees with the subject, whatever the fields hold', () => {
    const anyValue = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.constant(null), fc.boolean(), fc.string({ unit: 'binary' }));
    fc.assert(
      fc.property(fc.constantFrom('stream', 'consumer', 'stream_seq', 'deliveries', 'timestamp', 'id'), anyValue, (field, value) => {
        const verdict = check(MAX_SUBJECT, { ...real, [field]: value });
        if (!verdict.ok) return true;
        // Accepted only if the value is as good as the real one: same names, positive integers, an RFC 3339 time, a NUID.
        const a = verdict.advisory;
        return (
          a.stream === 'ORDERS' &&
          a.consumer === 'fulfillment' &&
          Number.isSafeInteger(a.streamSequence) &&
          a.streamSequence > 0 &&
          Number.isSafeInteger(a.deliveryCount) &&
          !/[\r\n]/.test(a.timestamp)
        );
      }),
      propertyRuns(2000),
    );
  });

  it('takes as names exactly what JetStream allows (ASCII subset)', () => {
    for (const ok of ['ORDERS', 'team-b_worker', 'a$b', 'x'.repeat(255)]) expect(isNatsName(ok)).toBe(true);
    for (const bad of ['', 'a.b', 'a*', 'a>', 'a/b', 'a\\b', 'a b', 'a\tb', 'x'.repeat(256), 7, null]) expect(isNatsName(bad)).toBe(false);
  });
});
