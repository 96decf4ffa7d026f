/** What the DLQ router learns about a message's failures; advisories carry none of it. */
export interface FailureRecord {
  stream: string;
  seq: number;
  consumer: string;
  subject: string;
  errorName: string;
  errorMessage: string;
  handler: string;
  /** Delivery count of the last failed attempt. */
  attempt: number;
  firstFailureAt: string;
  lastFailureAt: string;
  terminated: boolean;
  /**
   * Copy of the message taken before `term()`: on WorkQueue and Interest
   * streams the server drops a terminated message at once, before any router
   * could fetch it.
   */
  original?: { data: string; headers: [string, string][] };
}

export function failureKey(stream: string, seq: number, consumer: string): string {
  return `${stream}.${seq}.${consumer}`;
}
