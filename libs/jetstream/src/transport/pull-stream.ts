import { JetStreamError, JsHeaders, type JsMsg } from '@nats-io/jetstream';
import { nanos, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { replyInbox } from '../connection/reply-inbox.js';
import { PulledMessage } from './pulled-message.js';

/** On a pinned-client consumer, the server marks the pinned client's messages with its pin (ADR-42). */
const PIN_ID_HEADER = 'Nats-Pin-Id';
/** The answer to a pull whose pin is no longer the server's. */
const PIN_MISMATCH = 423;

export interface PullStreamOptions {
  stream: string;
  consumer: string;
  /** A pull waits this long for messages (long poll), then ends with a 408 carrying what it did not get. */
  expiresMs: number;
  /** The server sends a heartbeat this often while a pull waits; two missed ones mean the pulls were lost. */
  heartbeatMs: number;
  /** The JetStream API prefix (`$JS.API`, or a domain's). */
  apiPrefix?: string;
  /** The priority group of a pinned-client consumer: pulls name it, and carry the pin once the server gave one. */
  group?: string;
}

export interface PullStreamEvents {
  message(msg: JsMsg): void;
  /** Requested messages will not come (a pull ended, or was lost): there is room to ask again. */
  room(): void;
  /** A pull was refused (consumer deleted, no responders, a limit) or the reply subscription failed. */
  failed(err: Error): void;
}

/**
 * Pull requests for one durable on one long-lived reply subscription, with
 * several requests in flight. `fetch()` opens a subscription, a heartbeat
 * monitor and an iterator per pull and allows one pull at a time per loop;
 * with the consumer app's bounded queue that cost a round trip per refill and
 * left the handlers idle (0.5x the raw loop at the default settings). The
 * caller decides how much to ask for, so everything delivered is already in
 * its keep-alive set; `requested` is what has been asked for and not arrived.
 */
export class PullStream {
  private readonly inbox: string;
  private readonly subject: string;
  private subscription?: Subscription;
  private outstanding = 0;
  private lastHeard = performance.now();
  private readonly watchdog: NodeJS.Timeout;
  /** The server's pin for this client (`Nats-Pin-Id` of the first message after it picked us). */
  private pinId?: string;

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: PullStreamOptions,
    private readonly events: PullStreamEvents,
  ) {
    this.inbox = replyInbox(nc);
    this.subject = `${options.apiPrefix ?? '$JS.API'}.CONSUMER.MSG.NEXT.${options.stream}.${options.consumer}`;
    this.watchdog = setInterval(() => this.checkHeartbeats(), options.heartbeatMs).unref();
  }

  get requested(): number {
    return this.outstanding;
  }

  /** Whether the server last picked this client for its priority group (it may have switched since; the next pull learns it). */
  get pinned(): boolean {
    return this.pinId !== undefined;
  }

  /** Asks for up to `batch` more messages. Throws if the connection is closed. */
  request(batch: number): void {
    this.subscribe();
    const pull = {
      batch,
      expires: nanos(this.options.expiresMs),
      idle_heartbeat: nanos(this.options.heartbeatMs),
      ...(this.options.group ? { group: this.options.group, ...(this.pinId ? { id: this.pinId } : {}) } : {}),
    };
    // Counted only once sent: a pull the connection refused (it throws) must leave room for the retry.
    this.nc.publish(this.subject, JSON.stringify(pull), { reply: this.inbox });
    if (this.outstanding === 0) this.lastHeard = performance.now();
    this.outstanding += batch;
  }

  /** No more deliveries are taken (messages of pulls still open go unacknowledged, as after a crash). */
  close(): void {
    clearInterval(this.watchdog);
    this.reset();
  }

  /** Drops the open pulls and the pin (the server stops serving a reply subject nobody listens on); `request()` starts afresh. */
  reset(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    this.outstanding = 0;
    this.pinId = undefined;
  }

  private subscribe(): void {
    if (this.subscription && !this.subscription.isClosed()) return;
    this.subscription = this.nc.subscribe(this.inbox, { callback: (err, msg) => (err ? this.fail(err) : this.receive(msg)) });
  }

  private receive(msg: Msg): void {
    this.lastHeard = performance.now();
    // Stream messages keep their own subject; the server's status notes come on the inbox subject.
    if (msg.subject !== this.inbox) {
      if (this.outstanding > 0) this.outstanding--;
      const pin = this.options.group ? msg.headers?.get(PIN_ID_HEADER) : undefined;
      if (pin) this.pinId = pin;
      this.events.message(new PulledMessage(msg, this.nc));
      return;
    }
    const code = msg.headers?.code ?? 0;
    if (code === 100) return; // idle heartbeat
    if (code === PIN_MISMATCH) {
      // The server pinned another client: pull again without a pin, as a standby.
      this.pinId = undefined;
      this.outstanding = 0;
      this.events.room();
      return;
    }
    const msgsLeft = parseInt(msg.headers?.get(JsHeaders.PendingMessagesHdr) ?? '', 10) || 0;
    if (msgsLeft > 0) this.outstanding = Math.max(0, this.outstanding - msgsLeft);
    const description = msg.headers?.description?.toLowerCase() || (code === 503 ? 'no responders' : 'unknown');
    // 408: a pull expired; 409 with counts: a leadership change or a limit ended it. Either way, room again.
    if (code === 408 || (code === 409 && msgsLeft > 0 && description !== 'consumer deleted')) {
      this.events.room();
      return;
    }
    this.fail(new PullStatusError(code, description));
  }

  private fail(err: Error): void {
    this.outstanding = 0;
    this.events.failed(err);
  }

  /** Pulls waiting without heartbeats were lost (server restart, reconnect elsewhere): forget them. */
  private checkHeartbeats(): void {
    if (this.outstanding === 0 || performance.now() - this.lastHeard < 2 * this.options.heartbeatMs) return;
    this.outstanding = 0;
    this.events.room();
  }
}

/** A pull the server ended with a status that leaves no room to ask again (consumer deleted, no responders, a limit). */
export class PullStatusError extends JetStreamError {
  constructor(
    readonly code: number,
    description: string,
  ) {
    super(`pull refused: ${code} ${description}`);
    this.name = 'PullStatusError';
  }
}
