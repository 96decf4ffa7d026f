/** The parts of a consumer's info (`ConsumerInfo`) that tell whether a stream sequence was settled. */
export interface SettleState {
  ack_floor: { stream_seq: number };
  delivered: { stream_seq: number };
  num_ack_pending: number;
}

/**
 * Whether the consumer is done with stream sequence `seq`: it is at or below
 * the ack floor (acked or terminated, and so is everything before it), or it
 * was delivered and nothing delivered is awaiting an ack (a message given up
 * after its last attempt leaves the pending set without moving the floor).
 */
export function settled(info: SettleState, seq: number): boolean {
  if (info.ack_floor.stream_seq >= seq) return true;
  return info.delivered.stream_seq >= seq && info.num_ack_pending === 0;
}

/** One line per consumer for a timeout message: where its floor and deliveries are. */
export function describeSettleState(name: string, info: SettleState | undefined): string {
  if (!info) return `${name}: no consumer info`;
  return `${name}: ack floor ${info.ack_floor.stream_seq}, delivered up to ${info.delivered.stream_seq}, ${info.num_ack_pending} awaiting ack`;
}
