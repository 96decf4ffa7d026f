export const DLQ_STREAM = 'DLQ';
export const DLQ_ADVISORY_STREAM = 'DLQ_ADVISORIES';
export const DLQ_ROUTER_DURABLE = 'dlq-router';
export const DLQ_FAILURE_BUCKET = 'nestjet_failures';

/** Injection token of the resolved `DeadLetterModuleOptions`. */
export const DEAD_LETTER_MODULE_OPTIONS = Symbol('DEAD_LETTER_MODULE_OPTIONS');

/** The DLQ subject of a consumer's dead letters. */
export function dlqSubject(stream: string, consumer: string): string {
  return `dlq.${stream}.${consumer}`;
}

/** Set on a replayed message. */
export const REPLAY_HEADERS = {
  /** The DLQ record it came from. */
  replayOf: 'nestjet-replay-of',
  /** The only consumer that should process it; the others saw the original already. */
  replayFor: 'nestjet-replay-for',
  /** The original's traceparent, so the replay's spans link back to the original trace. */
  originalTraceparent: 'nestjet-original-traceparent',
} as const;
