import type { DeadLetterAdvisory } from './dead-letter.advisory.js';
import type { FailureRecord } from './failure.recorder.js';

export interface FailureReason {
  reason: string;
  errorName: string;
}

/**
 * Why a message died. A terminate carries its reason; for max deliveries the
 * last recorded handler error counts only if it belongs to the last attempt,
 * otherwise that attempt ended by a crash or an ack timeout and is named so.
 */
export function describeFailure(advisory: DeadLetterAdvisory, failure: FailureRecord | null): FailureReason {
  if (advisory.kind === 'terminated') {
    if (advisory.reason) return { reason: advisory.reason, errorName: failure?.errorName ?? advisory.reason.split(':')[0]! };
    if (failure) return { reason: `${failure.errorName}: ${failure.errorMessage}`, errorName: failure.errorName };
    return { reason: 'terminated without a reason', errorName: 'Terminated' };
  }
  // A record may only say that earlier attempts ended unsettled (errorName empty): that is no handler error.
  const handlerError = failure && failure.errorName !== '' ? failure : null;
  if (handlerError && handlerError.deliveryCount >= advisory.deliveryCount) {
    return { reason: `${handlerError.errorName}: ${handlerError.errorMessage}`, errorName: handlerError.errorName };
  }
  if (handlerError) {
    return {
      reason:
        `attempt ${advisory.deliveryCount} ended without ack or nak (process crash or ack timeout); ` +
        `last handler error, on attempt ${handlerError.deliveryCount}: ${handlerError.errorName}: ${handlerError.errorMessage}`,
      errorName: 'AckTimeout',
    };
  }
  return {
    reason: `no handler error recorded: all ${advisory.deliveryCount} attempts ended without ack or nak (process crash or ack timeout)`,
    errorName: 'AckTimeout',
  };
}
