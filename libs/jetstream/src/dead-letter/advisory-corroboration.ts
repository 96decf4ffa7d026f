import { wildcardMatches } from '#contracts';
import { parseRedeliverySubject } from '../redelivery/redelivery-subject.js';
import type { DeadLetterAdvisory } from './dead-letter.advisory.js';
import type { FailureRecord } from './failure.recorder.js';

/** What the server says about the consumer an advisory names (consumer info). */
export interface ConsumerState {
  /** `delivered.stream_seq`: the highest stream sequence the consumer has delivered. */
  deliveredStreamSeq: number;
  /** `config.max_deliver`; -1 or 0 when unlimited. */
  maxDeliver: number;
  /** `filter_subject` / `filter_subjects`; empty: the whole stream. */
  filterSubjects: string[];
}

/** Everything the router can look up about an advisory's claim. */
export interface AdvisoryEvidence {
  /** null: no such consumer on that stream. */
  consumer: ConsumerState | null;
  /** Subject of the original while it is still stored (a copy's redelivery subject, as stored); null when it is gone. */
  storedSubject: string | null;
  /** The failure history the transport wrote (KV), if any. */
  failure: FailureRecord | null;
}

export type Corroboration = { ok: true } | { ok: false; reason: string };

/**
 * Whether the server's own state and the transport's failure records back an
 * advisory, so that a forged one neither copies nor deletes a message its
 * consumer did not give up on. nats-server keeps no per-message consumer
 * state it would show (the ack floor is only a lower bound; 2.15 moves it past
 * a max-delivered message whenever nothing older is pending), so beyond
 * "delivered, inside the filter, enough deliveries" only nestjet's own
 * transport can vouch, and only for the consumers it serves (`declared`):
 * it records every failed attempt before settling, and every attempt that
 * ended unsettled when the next one begins.
 */
export function corroborate(a: DeadLetterAdvisory, declared: boolean, e: AdvisoryEvidence): Corroboration {
  const refuse = (reason: string): Corroboration => ({ ok: false, reason });
  const where = `${a.stream}/${a.consumer}`;
  const c = e.consumer;
  if (!c) return refuse(`consumer ${a.consumer} does not exist on stream ${a.stream}`);
  if (a.streamSequence > c.deliveredStreamSeq) {
    return refuse(`${where} has delivered up to stream sequence ${c.deliveredStreamSeq} only; it cannot have given up on ${a.streamSequence}`);
  }
  if (a.kind === 'max_deliveries') {
    if (c.maxDeliver < 1) return refuse(`${where} has no max_deliver, so the server raises no max-deliveries advisory for it`);
    if (a.deliveryCount < c.maxDeliver) return refuse(`the advisory claims ${a.deliveryCount} deliveries, fewer than max_deliver ${c.maxDeliver} of ${where}`);
  }
  const subject = e.storedSubject ?? e.failure?.subject;
  if (subject === undefined) {
    return refuse(`message ${a.streamSequence} is gone from ${a.stream} and no failure was recorded for it: nothing corroborates the advisory`);
  }
  // The stored subject as it is: a copy is inside its own durable's redelivery filter and no other's.
  if (c.filterSubjects.length > 0 && !c.filterSubjects.some((f) => wildcardMatches(f, subject))) {
    return refuse(`message ${a.streamSequence} (subject ${subject}) is outside the filter of ${where} (${c.filterSubjects.join(', ')})`);
  }
  const copy = e.storedSubject === null ? undefined : parseRedeliverySubject(e.storedSubject);
  if (copy && (copy.stream !== a.stream || copy.durable !== a.consumer)) {
    return refuse(`message ${a.streamSequence} (subject ${e.storedSubject}) is a copy for ${copy.stream}/${copy.durable}, not for ${where}`);
  }
  // Failure records name the subject a copy was published for, as the transport hands it on.
  if (e.failure && e.storedSubject !== null && e.failure.subject !== (copy?.subject ?? e.storedSubject)) {
    return refuse(`the failure record names subject ${e.failure.subject}, the stored message has ${e.storedSubject}`);
  }
  if (!declared) return { ok: true };

  const f = e.failure;
  if (a.kind === 'terminated') {
    return f?.terminated ? { ok: true } : refuse(`no termination of message ${a.streamSequence} by ${where} is recorded (the transport records each before terminating)`);
  }
  if (f?.terminated) return refuse(`message ${a.streamSequence} is recorded as terminated by ${where}, not as delivered ${a.deliveryCount} times`);
  const last = Math.max(f?.deliveryCount ?? 0, f?.lastUnsettledAttempt ?? 0);
  // The last attempt may have crashed; every one before it left a record (a nak before naking, an unsettled one when the next began).
  if (!f || last < c.maxDeliver - 1) {
    return refuse(
      `the last failed attempt of message ${a.streamSequence} recorded for ${where} is ${last === 0 ? 'none' : `attempt ${last}`}; ` +
        `a message that reached max_deliver ${c.maxDeliver} has at least attempt ${Math.max(1, c.maxDeliver - 1)} recorded`,
    );
  }
  return { ok: true };
}
