import type { LoggerService } from '@nestjs/common';
import { settleQuietly } from '../delivery/settle-quietly.js';

/** What the keep-alive needs of a message (a nats.js `JsMsg`). */
export interface HeldMessage {
  working(): void;
  readonly info: { readonly streamSequence: number };
}

export interface HeldMessagesOptions {
  /** The consumer's ack wait (the shortest `backoff` entry when it has one). */
  ackWaitMs: number;
  /**
   * Longest a running handler's message is kept alive. A handler still running
   * then is presumed hung: its message is left to the ack wait, so the server
   * redelivers it (or dead-letters it on the last attempt) instead of it being
   * held forever. 0: running handlers are not kept alive at all.
   */
  maxKeepAliveMs: number;
  logger: LoggerService;
  consumer: string;
  now?: () => number;
}

interface Entry {
  touchedAt: number;
  startedAt?: number;
  givenUp?: boolean;
}

/** The smallest keep-alive period: a sub-second ack wait is a test setting, and this bounds the timer's cost. */
const MIN_PERIOD_MS = 100;

/**
 * Every message a consumer holds — waiting in the local queue or in a running
 * handler — kept alive with `working()` (+WPI) before its ack wait runs out.
 * Without it, messages queued behind slow handlers pass their ack wait and are
 * redelivered while the first copy still waits, which costs duplicate work and
 * delivery attempts the message never failed.
 *
 * One timer per consumer ticks every quarter of the ack wait and touches the
 * messages not touched for a quarter, so a held message is touched every
 * quarter to half ack wait: the other half absorbs a stalled event loop.
 * Messages settled within a quarter are never touched; the touches of one tick
 * share a socket write (nats.js flushes once per microtask turn).
 */
export class HeldMessages<M extends HeldMessage = HeldMessage> {
  private readonly entries = new Map<M, Entry>();
  private readonly periodMs: number;
  private readonly now: () => number;
  private timer?: NodeJS.Timeout;

  constructor(private readonly options: HeldMessagesOptions) {
    this.periodMs = Math.max(MIN_PERIOD_MS, Math.floor(options.ackWaitMs / 4));
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  get keepAlivePeriodMs(): number {
    return this.periodMs;
  }

  /** Starts the keep-alive timer (unref'd: it never keeps the process alive). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.periodMs);
    this.timer.unref();
  }

  /** Stops keeping anything alive (shutdown); the messages stay listed for `release`/`drain`. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A message arrived from the server: its ack wait started now. */
  add(msg: M): void {
    this.entries.set(msg, { touchedAt: this.now() });
  }

  /** Its handler starts now (the running-handler limit counts from here). */
  started(msg: M): void {
    const entry = this.entries.get(msg);
    if (entry) entry.startedAt = this.now();
  }

  /** Settled (or abandoned): no longer kept alive. */
  release(msg: M): void {
    this.entries.delete(msg);
  }

  /** Removes and returns every held message; `running` tells those whose handler had started. */
  drain(): { msg: M; running: boolean }[] {
    const all = [...this.entries].map(([msg, e]) => ({ msg, running: e.startedAt !== undefined }));
    this.entries.clear();
    return all;
  }

  /** One keep-alive round (the timer calls it; public for tests). Returns how many messages were touched. */
  tick(): number {
    const now = this.now();
    let touched = 0;
    for (const [msg, entry] of this.entries) {
      if (now - entry.touchedAt < this.periodMs || entry.givenUp) continue;
      if (entry.startedAt !== undefined && now - entry.startedAt >= this.options.maxKeepAliveMs) {
        entry.givenUp = true;
        this.options.logger.warn({
          event: 'message.keepalive-stopped',
          consumer: this.options.consumer,
          streamSequence: msg.info.streamSequence,
          runningMs: now - entry.startedAt,
          maxKeepAliveMs: this.options.maxKeepAliveMs,
        });
        continue;
      }
      if (settleQuietly(() => msg.working(), this.options.logger)) touched++;
      entry.touchedAt = now;
    }
    return touched;
  }
}
