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
  /**
   * The message itself, given for final failures: the hook may dead-letter it
   * before the settle, and after a `term()` the server may drop it at once.
   */
  original?: { data: Uint8Array; headers: HeaderEntries; storedAt?: Date };
}

/** A delivery as the hook's optional callbacks see it. */
export interface DeliveryFacts {
  stream: string;
  consumer: string;
  subject: string;
  streamSequence: number;
  deliveryCount: number;
  at: Date;
}

/**
 * Called after every failed attempt, before the nak or term, so the failure
 * reason survives for the dead-letter router (the server's advisories carry
 * none) and a final failure can be dead-lettered before it is settled. A
 * failing hook is logged; the message is settled either way.
 */
export interface MessageFailureHook {
  onFailure(failure: MessageFailure): Promise<void>;
  /**
   * Before a redelivery (delivery count > 1) is processed: the previous
   * attempt may have ended without ack or nak (crash, ack timeout), which
   * nothing else records. With it, every attempt before the last leaves a
   * trace, which is what lets the DLQ router tell a real max-deliveries
   * advisory from a forged one.
   */
  onRedelivered?(delivery: DeliveryFacts): Promise<void>;
  /** A redelivered message was acked: its failure history is obsolete (and no longer corroborates an advisory). */
  onSucceeded?(delivery: DeliveryFacts): Promise<void>;
}
