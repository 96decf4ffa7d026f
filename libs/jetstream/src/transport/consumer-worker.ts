import type { JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { LoggerService } from '@nestjs/common';
import { HeldMessages } from './held-messages.js';
import { PullStream } from './pull-stream.js';
import { settleQuietly } from '../delivery/settle-quietly.js';
import { retryPauseMs } from '../connection/while-unavailable.js';

export interface ConsumerWorkerOptions {
  stream: string;
  consumer: string;
  /** Handlers running at once. */
  concurrency: number;
  /** Messages held beyond the running handlers, waiting in the local queue. */
  prefetch: number;
  ackWaitMs: number;
  maxKeepAliveMs: number;
  logger: LoggerService;
  /** A partition's durable: pulls name this priority group, and end well within `timeoutMs` so the pinned worker keeps its pin. */
  pinned?: { group: string; timeoutMs: number };
}

/** What a worker still held when it gave up waiting at shutdown. */
export interface Abandoned {
  running: number;
  queued: number;
}

/** A long poll: the server answers an idle pull at the latest after this (nats.js's default). */
const PULL_EXPIRES_MS = 30_000;
/** Heartbeats of waiting pulls: a pull lost with its server is noticed within two of them. */
const PULL_HEARTBEAT_MS = 5_000;

/**
 * Pulls one durable into a local queue and runs its handlers with bounded
 * concurrency, so every message delivered to this process is in
 * `HeldMessages` — reachable for `working()` — from its arrival to its
 * settlement. (`consume()` buffers delivered messages inside its iterator,
 * out of reach, until the loop asks for the next one.)
 *
 * At most `concurrency + prefetch` messages are held or requested at a time;
 * once half of that is free the worker asks for what is free, while
 * earlier pulls may still be delivering, so the queue refills before it runs dry.
 */
export class ConsumerWorker {
  private readonly held: HeldMessages<JsMsg>;
  private readonly queue: JsMsg[] = [];
  private readonly pulls: PullStream;
  private readonly capacity: number;
  private readonly refillAt: number;
  private running = 0;
  private stopping = false;
  private abandoned = false;
  private failures = 0;
  private retry?: NodeJS.Timeout;
  /** What every `drained()` caller waits on, settled when the last held message is. */
  private idle?: { done: Promise<void>; resolve: () => void };
  private resume?: NodeJS.Timeout;

  constructor(
    nc: NatsConnection,
    private readonly options: ConsumerWorkerOptions,
    private readonly handle: (msg: JsMsg) => Promise<unknown>,
  ) {
    this.capacity = options.concurrency + options.prefetch;
    this.refillAt = Math.max(1, Math.floor(this.capacity / 2));
    this.held = new HeldMessages<JsMsg>({
      ackWaitMs: options.ackWaitMs,
      maxKeepAliveMs: options.maxKeepAliveMs,
      logger: options.logger,
      consumer: options.consumer,
    });
    this.held.start();
    // The server replaces a pinned client that has not pulled for the timeout: a pinned worker pulls at least twice as often.
    const expiresMs = options.pinned ? Math.min(PULL_EXPIRES_MS, options.pinned.timeoutMs / 2) : PULL_EXPIRES_MS;
    const heartbeatMs = Math.min(PULL_HEARTBEAT_MS, expiresMs / 2);
    this.pulls = new PullStream(
      nc,
      { stream: options.stream, consumer: options.consumer, expiresMs, heartbeatMs, group: options.pinned?.group },
      { message: (msg) => this.accept(msg), room: () => this.refill(), failed: (err) => this.pullFailed(err) },
    );
    this.refill();
  }

  /** Messages held now: queued plus running. */
  get holding(): number {
    return this.held.size;
  }

  get keepAlivePeriodMs(): number {
    return this.held.keepAlivePeriodMs;
  }

  /** Whether the server gave this worker the pin of its partition (see PartitionBalancer). */
  get pinned(): boolean {
    return this.pulls.pinned;
  }

  /**
   * Lets go of the partition: the open pulls are dropped, so a waiting pull of
   * another worker gets the pin once the server unpins us; after `cooldownMs`
   * this worker pulls again, as a standby. Held messages still finish and are
   * acked (the server hands the partition over only after they are).
   */
  release(cooldownMs: number): void {
    if (this.stopping) return;
    this.pulls.reset();
    clearTimeout(this.resume);
    this.resume = setTimeout(() => {
      this.resume = undefined;
      this.refill();
    }, cooldownMs);
  }

  /** No further pulls; what is held still runs (and is kept alive). */
  stopPulling(): void {
    this.stopping = true;
    clearTimeout(this.retry);
    clearTimeout(this.resume);
  }

  /** Resolves once nothing is held any more. */
  async drained(): Promise<void> {
    if (this.held.size === 0) return;
    if (!this.idle) {
      let resolve!: () => void;
      const done = new Promise<void>((r) => (resolve = r));
      this.idle = { done, resolve };
    }
    await this.idle.done;
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

  /** Stops the keep-alive timer and the reply subscription (after a clean drain). */
  stop(): void {
    this.held.stop();
    this.pulls.close();
  }

  /** Asks for what is free once half the capacity is (measured: a quarter or less meant more, smaller pulls and 5-10 % less throughput). */
  private refill(): void {
    if (this.stopping || this.retry || this.resume) return;
    const room = this.capacity - this.held.size - this.pulls.requested;
    if (room < this.refillAt) return;
    try {
      this.pulls.request(room);
    } catch (err) {
      this.pullFailed(err as Error);
    }
  }

  private pullFailed(err: Error): void {
    if (this.stopping) return;
    this.failures++;
    const delay = retryPauseMs(this.failures);
    this.options.logger.warn({ event: 'consumer.pull-failed', consumer: this.options.consumer, error: String(err), retryInMs: delay });
    clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.refill();
    }, delay);
  }

  private accept(msg: JsMsg): void {
    // A pull still open when shutdown gave up: hand the message straight back.
    if (this.abandoned) return void settleQuietly(() => msg.nak(), this.options.logger);
    this.failures = 0;
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
    this.refill();
    if (this.held.size === 0 && this.idle) {
      this.idle.resolve();
      this.idle = undefined;
    }
  }
}
