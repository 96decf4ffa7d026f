import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import type { LoggerService } from '@nestjs/common';
import { HeldMessages } from './held-messages.js';
import { settleQuietly } from './settle-quietly.js';

export interface ConsumerWorkerOptions {
  consumer: string;
  /** Handlers running at once. */
  concurrency: number;
  /** Messages held beyond the running handlers, waiting in the local queue. */
  prefetch: number;
  ackWaitMs: number;
  maxKeepAliveMs: number;
  logger: LoggerService;
}

/** What a worker still held when it gave up waiting at shutdown. */
export interface Abandoned {
  running: number;
  queued: number;
}

/** A long poll: the server answers an idle pull at the latest after this (nats.js's default). */
const PULL_EXPIRES_MS = 30_000;
const RETRY_MAX_MS = 5_000;

/**
 * Pulls one durable with `fetch()` into a local queue and runs its handlers with
 * bounded concurrency, so every message delivered to this process is in
 * `HeldMessages` — reachable for `working()` — from its arrival to its
 * settlement. (`consume()` buffers delivered messages inside its iterator,
 * out of reach, until the loop asks for the next one.)
 *
 * At most `concurrency + prefetch` messages are held or requested at a time;
 * the next pull asks for what is free once a quarter of that is, so the queue
 * refills before it runs dry without a round trip per message.
 */
export class ConsumerWorker {
  private readonly held: HeldMessages<JsMsg>;
  private readonly queue: JsMsg[] = [];
  private readonly capacity: number;
  private readonly refillAt: number;
  private running = 0;
  private stopping = false;
  private abandoned = false;
  private fetching?: ConsumerMessages;
  /** Resumes a pull loop waiting for room. */
  private wake?: () => void;
  /** Cuts a retry pause short (shutdown). */
  private interrupt?: () => void;
  private readonly loop: Promise<void>;
  private idle?: () => void;

  constructor(
    private readonly pullConsumer: Consumer,
    private readonly options: ConsumerWorkerOptions,
    private readonly handle: (msg: JsMsg) => Promise<unknown>,
  ) {
    this.capacity = options.concurrency + options.prefetch;
    this.refillAt = Math.max(1, Math.floor(this.capacity / 4));
    this.held = new HeldMessages<JsMsg>({
      ackWaitMs: options.ackWaitMs,
      maxKeepAliveMs: options.maxKeepAliveMs,
      logger: options.logger,
      consumer: options.consumer,
    });
    this.held.start();
    this.loop = this.pull();
  }

  /** Messages held now: queued plus running. */
  get holding(): number {
    return this.held.size;
  }

  get keepAlivePeriodMs(): number {
    return this.held.keepAlivePeriodMs;
  }

  /** No further pulls; what is held still runs (and is kept alive). */
  stopPulling(): void {
    this.stopping = true;
    this.fetching?.stop();
    this.wake?.();
    this.interrupt?.();
  }

  /** Resolves once the pull loop has ended and nothing is held any more. */
  async drained(): Promise<void> {
    await this.loop;
    if (this.held.size === 0) return;
    await new Promise<void>((resolve) => (this.idle = resolve));
  }

  /**
   * Gives up on everything still held (the shutdown timeout passed): no more
   * keep-alive, queued messages never start, and each held message is naked
   * without delay so another process gets it at once. The handlers still
   * running are not waited for; the transport drops their outcome.
   */
  abandon(): Abandoned {
    this.abandoned = true;
    this.held.stop();
    this.queue.length = 0;
    const held = this.held.drain();
    for (const { msg } of held) settleQuietly(() => msg.nak(), this.options.logger);
    const running = held.filter((h) => h.running).length;
    return { running, queued: held.length - running };
  }

  /** Stops the keep-alive timer (after a clean drain). */
  stop(): void {
    this.held.stop();
  }

  private async pull(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      const room = this.capacity - this.held.size;
      if (room < this.refillAt) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      try {
        this.fetching = await this.pullConsumer.fetch({ max_messages: room, expires: PULL_EXPIRES_MS });
        if (this.stopping) this.fetching.stop();
        for await (const msg of this.fetching) this.accept(msg);
        failures = 0;
      } catch (err) {
        if (this.stopping) break;
        failures++;
        const delay = Math.min(RETRY_MAX_MS, 250 * 2 ** Math.min(failures, 5));
        this.options.logger.warn({ event: 'consumer.pull-failed', consumer: this.options.consumer, error: String(err), retryInMs: delay });
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.interrupt = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.interrupt = undefined;
      } finally {
        this.fetching = undefined;
      }
    }
  }

  private accept(msg: JsMsg): void {
    this.held.add(msg);
    this.queue.push(msg);
    this.dispatch();
  }

  private dispatch(): void {
    while (this.running < this.options.concurrency && this.queue.length > 0) {
      const msg = this.queue.shift()!;
      this.running++;
      this.held.started(msg);
      void this.handle(msg)
        .catch((err: unknown) => this.options.logger.error({ event: 'consumer.handle-error', consumer: this.options.consumer, error: String(err) }))
        .finally(() => this.done(msg));
    }
  }

  private done(msg: JsMsg): void {
    this.running--;
    this.held.release(msg);
    if (this.abandoned) return;
    this.dispatch();
    if (this.capacity - this.held.size >= this.refillAt) this.wake?.();
    if (this.held.size === 0) this.idle?.();
  }
}
