import { describe, expect, it } from '@jest/globals';
import { corroborate, type AdvisoryEvidence } from './advisory-corroboration.js';
import type { DeadLetterAdvisory } from './dead-letter.advisory.js';
import type { FailureRecord } from './failure.recorder.js';

const maxed: DeadLetterAdvisory = { kind: 'max_deliveries', stream: 'ORDERS', consumer: 'fulfillment', streamSequence: 7, deliveryCount: 3, timestamp: '2026-11-28T10:00:00Z' };
const termed: DeadLetterAdvisory = { ...maxed, kind: 'terminated', deliveryCount: 1 };

const failure = (over: Partial<FailureRecord> = {}): FailureRecord => ({
  stream: 'ORDERS',
  streamSequence: 7,
  consumer: 'fulfillment',
  subject: 'orders.created.eu.std',
  errorName: 'Error',
  errorMessage: 'db down',
  handler: 'orders.created',
  deliveryCount: 3,
  firstFailureAt: '2026-11-28T09:59:58Z',
  lastFailureAt: '2026-11-28T10:00:00Z',
  terminated: false,
  ...over,
});

const evidence = (over: Partial<AdvisoryEvidence> = {}): AdvisoryEvidence => ({
  consumer: { deliveredStreamSeq: 10, maxDeliver: 3, filterSubjects: ['orders.created.>'] },
  storedSubject: 'orders.created.eu.std',
  failure: failure(),
  ...over,
});

const reasonOf = (r: ReturnType<typeof corroborate>) => (r.ok ? 'ok' : r.reason);

describe('corroborate', () => {
  it('backs a real max-deliveries advisory: handler error on the last attempt, or a crash on it after recorded failures', () => {
    expect(corroborate(maxed, true, evidence())).toEqual({ ok: true });
    expect(corroborate(maxed, true, evidence({ failure: failure({ deliveryCount: 2 }) }))).toEqual({ ok: true });
    // Every attempt crashed: the transport noted attempts 1 and 2 as unsettled when the next began.
    const crashes = failure({ errorName: '', errorMessage: '', deliveryCount: 0, lastUnsettledAttempt: 2 });
    expect(corroborate(maxed, true, evidence({ failure: crashes }))).toEqual({ ok: true });
  });

  it('backs a real termination, also when the original is gone and only the copy taken before term() is left', () => {
    const copy = failure({ terminated: true, deliveryCount: 1, original: { data: new Uint8Array([1]), headers: [] } });
    expect(corroborate(termed, true, evidence({ failure: copy }))).toEqual({ ok: true });
    expect(corroborate(termed, true, evidence({ failure: copy, storedSubject: null }))).toEqual({ ok: true });
  });

  it("backs an advisory of a copy on the consumer's own redelivery subject, whose failure record names the topic subject", () => {
    const filters = ['orders.created.>', 'nestjet-redeliver.ORDERS.fulfillment.>'];
    const copy = evidence({ consumer: { deliveredStreamSeq: 10, maxDeliver: 3, filterSubjects: filters }, storedSubject: 'nestjet-redeliver.ORDERS.fulfillment.orders.created.eu.std' });
    expect(corroborate(maxed, true, copy)).toEqual({ ok: true });
    expect(reasonOf(corroborate(maxed, true, { ...copy, failure: failure({ subject: 'orders.created.us.std' }) }))).toBe(
      'the failure record names subject orders.created.us.std, the stored message has nestjet-redeliver.ORDERS.fulfillment.orders.created.eu.std',
    );
  });

  it("refuses an advisory naming a consumer for another durable's copy, whatever its filter", () => {
    const other = evidence({ consumer: { deliveredStreamSeq: 10, maxDeliver: 3, filterSubjects: [] }, storedSubject: 'nestjet-redeliver.ORDERS.notifications.orders.created.eu.std' });
    expect(reasonOf(corroborate(maxed, true, other))).toBe(
      'message 7 (subject nestjet-redeliver.ORDERS.notifications.orders.created.eu.std) is a copy for ORDERS/notifications, not for ORDERS/fulfillment',
    );
    const filtered = evidence({ consumer: { deliveredStreamSeq: 10, maxDeliver: 3, filterSubjects: ['orders.created.>', 'nestjet-redeliver.ORDERS.fulfillment.>'] }, storedSubject: 'nestjet-redeliver.ORDERS.notifications.orders.created.eu.std' });
    expect(reasonOf(corroborate(maxed, true, filtered))).toMatch(/is outside the filter of ORDERS\/fulfillment/);
  });

  it('refuses a sequence the consumer never delivered (a pre-claimed msgID)', () => {
    expect(reasonOf(corroborate({ ...maxed, streamSequence: 11 }, true, evidence()))).toBe(
      'ORDERS/fulfillment has delivered up to stream sequence 10 only; it cannot have given up on 11',
    );
  });

  it('refuses a message that succeeded or never failed often enough', () => {
    expect(reasonOf(corroborate(maxed, true, evidence({ failure: null })))).toMatch(/recorded for ORDERS\/fulfillment is none; .* at least attempt 2/);
    expect(reasonOf(corroborate(maxed, true, evidence({ failure: failure({ deliveryCount: 1 }) })))).toMatch(/is attempt 1;/);
    expect(reasonOf(corroborate(termed, true, evidence({ failure: null })))).toMatch(/no termination of message 7 .* is recorded/);
    expect(reasonOf(corroborate(maxed, true, evidence({ failure: failure({ terminated: true }) })))).toMatch(/recorded as terminated/);
  });

  it('refuses claims the consumer state contradicts', () => {
    expect(reasonOf(corroborate(maxed, true, evidence({ consumer: null })))).toBe('consumer fulfillment does not exist on stream ORDERS');
    expect(reasonOf(corroborate({ ...maxed, deliveryCount: 2 }, true, evidence()))).toMatch(/claims 2 deliveries, fewer than max_deliver 3/);
    const unlimited = evidence({ consumer: { deliveredStreamSeq: 10, maxDeliver: -1, filterSubjects: [] } });
    expect(reasonOf(corroborate(maxed, true, unlimited))).toMatch(/has no max_deliver/);
    expect(reasonOf(corroborate(maxed, true, evidence({ storedSubject: 'orders.paid.eu.std', failure: failure({ subject: 'orders.paid.eu.std' }) })))).toBe(
      'message 7 (subject orders.paid.eu.std) is outside the filter of ORDERS/fulfillment (orders.created.>)',
    );
    expect(reasonOf(corroborate(maxed, true, evidence({ failure: failure({ subject: 'orders.created.us.std' }) })))).toMatch(/failure record names subject/);
  });

  it('refuses an advisory for a message that is gone with nothing recorded', () => {
    expect(reasonOf(corroborate(maxed, false, evidence({ storedSubject: null, failure: null })))).toMatch(/gone from ORDERS and no failure was recorded/);
  });

  it('asks no failure record of consumers nestjet does not serve (DLQ_EXTRA_STREAMS), only what the server shows', () => {
    const foreign = evidence({ failure: null, consumer: { deliveredStreamSeq: 10, maxDeliver: 3, filterSubjects: [] } });
    expect(corroborate(maxed, false, foreign)).toEqual({ ok: true });
    expect(corroborate(termed, false, foreign)).toEqual({ ok: true });
    expect(corroborate({ ...maxed, streamSequence: 11 }, false, foreign).ok).toBe(false);
  });
});
