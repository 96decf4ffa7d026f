import type { LoggerService } from '@nestjs/common';

/**
 * Runs an ack, nak, term or working() call. They write to the connection and
 * throw once it is closed; such a failure only means the server redelivers
 * after the ack wait, so it is logged, never thrown into the caller (a timer
 * callback or a loop that still has other messages to settle).
 */
export function settleQuietly(settle: () => void, logger: LoggerService): boolean {
  try {
    settle();
    return true;
  } catch (err) {
    logger.warn({ event: 'settle.failed', error: String(err) });
    return false;
  }
}
