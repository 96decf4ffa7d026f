/** A failed processing attempt, as the failure hook sees it. */
export interface MessageFailure {
  stream: string;
  consumer: string;
  subject: string;
  streamSequence: number;
  /** 1-based attempt number. */
  deliveryCount: number;
  maxDeliver: number;
  errorName: string;
  errorMessage: string;
  /** Handler pattern that failed, or empty when no handler matched. */
  handler: string;
  /** No further delivery follows: terminated, or the last allowed attempt. */
  final: boolean;
  terminated: boolean;
  at: Date;
}

/**
 * Called before a message is terminated or naked for the last time, so the
 * failure reason survives for the dead-letter router (the server's advisories
 * carry none). Implementations must not throw for a lost write; the transport
 * logs and carries on either way.
 */
export interface MessageFailureHook {
  onFailure(failure: MessageFailure): Promise<void>;
}
