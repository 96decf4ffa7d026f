export const DLQ_STREAM = 'DLQ';
export const DLQ_ADVISORY_STREAM = 'DLQ_ADVISORIES';
export const DLQ_ROUTER_DURABLE = 'dlq-router';
export const DLQ_FAILURE_BUCKET = 'nestjet_failures';
/** Advisories the router refused (forged, malformed, not corroborated), with the reason. */
export const DLQ_REJECTED_STREAM = 'DLQ_REJECTED';
/** Two tokens, so it never collides with a record subject `dlq.<stream>.<consumer>`; inside `dlq.>`, which only the DLQ user may publish. */
export const DLQ_REJECTED_SUBJECT = 'dlq.rejected';
/** One entry per replayed DLQ record (key: its DLQ sequence), shared by every producer pod and the CLI. */
export const DLQ_REPLAY_BUCKET = 'nestjet_replays';

/** Injection token of the resolved `DeadLetterModuleOptions`. */
export const DEAD_LETTER_MODULE_OPTIONS = Symbol('DEAD_LETTER_MODULE_OPTIONS');

/** The DLQ subject of a consumer's dead letters. */
export function dlqSubject(stream: string, consumer: string): string {
  return `dlq.${stream}.${consumer}`;
}

/**
 * Set on a replayed message (which goes to its consumer's redelivery subject,
 * see redelivery/). `replayFor` is no longer written: it marked replays and
 * retry copies on the topic subject before redelivery subjects, and the
 * transport still honours it on copies stored then, without checking who set
 * it: only the producer and DLQ users may publish topic subjects (see
 * security/nats-permissions), and the REST ingress never copies client
 * headers into a message, so no client can make durables skip one.
 */
export const REPLAY_HEADERS = {
  /** The DLQ record it came from. */
  replayOf: 'nestjet-replay-of',
  /** Legacy, read only: the only consumer that should process a copy stored on the topic subject; the others saw the original already. */
  replayFor: 'nestjet-replay-for',
  /** The original's traceparent, so the replay's spans link back to the original trace. */
  originalTraceparent: 'nestjet-original-traceparent',
} as const;
