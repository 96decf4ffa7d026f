import type { HeaderEntries } from '../headers/message-headers.js';

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
  /** The message itself, given for terminations (the server may drop it at once). */
  original?: { data: Uint8Array; headers: HeaderEntries };
}

/**
 * Called after every failed attempt, before the nak or term, so the failure
 * reason survives for the dead-letter router (the server's advisories carry
 * none). A failing hook is logged; the message is settled either way.
 */
export interface MessageFailureHook {
  onFailure(failure: MessageFailure): Promise<void>;
}
