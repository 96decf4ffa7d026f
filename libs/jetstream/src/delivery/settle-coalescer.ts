import type { LoggerService } from '@nestjs/common';
import { settleQuietly } from './settle-quietly.js';

/**
 * Runs acks, naks and terms together once per event-loop turn. nats.js flushes
 * its outbound buffer in a microtask after the first write, so acks issued from
 * separate promise continuations each cost a socket write; queued here they
 * share one. A crash before the turn ends only means redelivery, as any crash
 * before an ack does. Each settle is guarded: one that throws (closed
 * connection) is logged and the rest of the queue still runs.
 */
export class SettleCoalescer {
  private queue: (() => void)[] = [];
  private scheduled = false;

  constructor(private readonly logger: LoggerService) {}

  add(settle: () => void): void {
    this.queue.push(settle);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Runs everything queued now (also called before draining the connection). */
  flush(): void {
    this.scheduled = false;
    const queue = this.queue;
    this.queue = [];
    for (const settle of queue) settleQuietly(settle, this.logger);
  }
}
