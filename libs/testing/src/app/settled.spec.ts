import { describe, expect, it } from '@jest/globals';
import { describeSettleState, settled, type SettleState } from './settled.js';

const state = (ackFloor: number, delivered: number, awaitingAck: number): SettleState => ({
  ack_floor: { stream_seq: ackFloor },
  delivered: { stream_seq: delivered },
  num_ack_pending: awaitingAck,
});

describe('settled: whether a consumer is done with a stream sequence', () => {
  it('is done once the ack floor reaches it, whatever is in flight after it', () => {
    expect(settled(state(7, 9, 2), 7)).toBe(true);
    expect(settled(state(9, 9, 0), 7)).toBe(true);
  });

  it('is not done before it was delivered, nor while anything delivered awaits an ack (a retry pending)', () => {
    expect(settled(state(6, 6, 0), 7)).toBe(false);
    expect(settled(state(6, 7, 1), 7)).toBe(false);
  });

  it('is done when it was delivered and nothing awaits an ack, though the floor stayed behind (given up after its last attempt)', () => {
    expect(settled(state(6, 7, 0), 7)).toBe(true);
  });

  it('describes where a consumer stands for a timeout message', () => {
    expect(describeSettleState('ledger-p3', state(4, 6, 1))).toBe('ledger-p3: ack floor 4, delivered up to 6, 1 awaiting ack');
    expect(describeSettleState('fulfillment', undefined)).toBe('fulfillment: no consumer info');
  });
});
