import { setTimeout as sleep } from 'node:timers/promises';
import type { LoggerService } from '@nestjs/common';
import { isBrokerUnavailable } from '../errors/jetstream-api.errors.js';

/** About half a minute of a leader election or a restarting server, then the error stands. */
const ATTEMPTS = 8;

/** The pause before retry number `attempt` (1, 2, …): 500 ms doubling to 5 s. */
export function retryPauseMs(attempt: number): number {
  return Math.min(5_000, 250 * 2 ** Math.min(attempt, 5));
}

/**
 * Runs a start-up step again while the broker is unavailable (a JetStream API
 * timeout or 503 during a leader election); any other error, such as a missing
 * durable, is final at once. Seen in the KEDA cluster test: a consumer started
 * right after its consumer leader was killed timed out looking its durables up
 * and exited.
 */
export async function whileUnavailable<T>(step: () => Promise<T>, logger: LoggerService, event: string): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      if (!isBrokerUnavailable(err) || attempt >= ATTEMPTS) throw err;
      const pauseMs = retryPauseMs(attempt);
      logger.warn({ event, attempt, error: String(err), retryInMs: pauseMs });
      await sleep(pauseMs);
    }
  }
}
