export const DLQ_STREAM = 'DLQ';
export const DLQ_ADVISORY_STREAM = 'DLQ_ADVISORIES';
export const DLQ_ROUTER_DURABLE = 'dlq-router';
export const DLQ_FAILURE_BUCKET = 'nestjet_failures';

/** Headers of a DLQ record; the original's own headers are kept beside them. */
export const DLQ_HEADERS = {
  kind: 'nestjet-dlq-kind',
  subject: 'nestjet-dlq-subject',
  stream: 'nestjet-dlq-stream',
  seq: 'nestjet-dlq-seq',
  consumer: 'nestjet-dlq-consumer',
  deliveries: 'nestjet-dlq-deliveries',
  reason: 'nestjet-dlq-reason',
  errorName: 'nestjet-dlq-error-name',
  handler: 'nestjet-dlq-handler',
  firstFailureAt: 'nestjet-dlq-first-failure-at',
  lastFailureAt: 'nestjet-dlq-last-failure-at',
  originalTime: 'nestjet-dlq-original-time',
  originalMsgId: 'nestjet-dlq-original-msg-id',
  originalMissing: 'nestjet-dlq-original-missing',
  routedAt: 'nestjet-dlq-routed-at',
} as const;

/** Set on a replayed message: the DLQ record it came from, and the only consumer that should process it. */
export const REPLAY_HEADERS = {
  replayOf: 'nestjet-replay-of',
  replayFor: 'nestjet-replay-for',
} as const;

export function dlqSubject(stream: string, consumer: string): string {
  return `dlq.${stream}.${consumer}`;
}
