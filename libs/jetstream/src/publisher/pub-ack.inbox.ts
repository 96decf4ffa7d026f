import { JetStreamApiError, JetStreamError, PubHeaders } from '@nats-io/jetstream';
import { errors, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { replyInbox } from '../connection/reply-inbox.js';

/** How often pending PubAcks are checked against their deadlines: attempt timeouts are seconds, retries start at 50 ms. */
const SWEEP_INTERVAL_MS = 25;

/** What a PubAck says about a stored message. */
export interface StoredAck {
  stream: string;
  seq: number;
  duplicate: boolean;
}

interface PendingAck {
  subject: string;
  resolve: (ack: StoredAck) => void;
  reject: (err: Error) => void;
  deadline: number;
}

interface ApiReply {
  stream?: string;
  seq?: number;
  duplicate?: boolean;
  error?: ConstructorParameters<typeof JetStreamApiError>[0];
}

/**
 * JetStream publishes as requests on one reply subscription, with the
 * timeouts of all pending requests checked by one timer. nats.js's
 * `js.publish` builds three `Error` objects per call for stack context and
 * arms a timer per request: 17 % of the producer's CPU under load (profile in
 * BENCHMARKS.md). The answers and errors are the ones `js.publish` gives:
 * `JetStreamApiError` for a refusal, `NoRespondersError` when no stream
 * listens, `TimeoutError` when no PubAck arrives in time.
 */
export class PubAckInbox {
  private readonly pending = new Map<string, PendingAck>();
  private readonly prefix: string;
  private subscription?: Subscription;
  private sweeper?: NodeJS.Timeout;
  private next = 0;

  constructor(private readonly nc: NatsConnection) {
    this.prefix = `${replyInbox(nc)}.`;
    void nc.closed().then(() => this.failAll(new errors.ClosedConnectionError()));
  }

  /** Publishes with `Nats-Msg-Id` (and `Nats-Expected-Stream`) set and resolves with the PubAck. */
  publish(subject: string, data: Uint8Array | string, headers: MsgHdrs, timeoutMs: number, msgId: string, expectStream?: string): Promise<StoredAck> {
    this.subscribe();
    headers.set(PubHeaders.MsgIdHdr, msgId);
    if (expectStream) headers.set(PubHeaders.ExpectedStreamHdr, expectStream);
    const token = (this.next++).toString(36);
    return new Promise<StoredAck>((resolve, reject) => {
      try {
        this.nc.publish(subject, data, { reply: this.prefix + token, headers });
      } catch (err) {
        reject(err as Error);
        return;
      }
      this.pending.set(token, { subject, resolve, reject, deadline: performance.now() + timeoutMs });
      this.sweeper ??= setInterval(() => this.sweep(), SWEEP_INTERVAL_MS).unref();
    });
  }

  private subscribe(): void {
    if (this.subscription && !this.subscription.isClosed()) return;
    this.subscription = this.nc.subscribe(`${this.prefix}*`, {
      callback: (err, msg) => (err ? this.failAll(err) : this.answer(msg)),
    });
  }

  private answer(msg: Msg): void {
    const token = msg.subject.slice(this.prefix.length);
    const waiting = this.pending.get(token);
    if (!waiting) return; // timed out already; the retry carries the same msgID
    this.pending.delete(token);
    if (msg.data.length === 0 && msg.headers?.code === 503) {
      waiting.reject(new errors.NoRespondersError(waiting.subject));
      return;
    }
    try {
      const reply = msg.json<ApiReply>();
      if (reply.error) waiting.reject(new JetStreamApiError(reply.error));
      else if (!reply.stream) waiting.reject(new JetStreamError('invalid ack response'));
      else waiting.resolve({ stream: reply.stream, seq: reply.seq ?? 0, duplicate: reply.duplicate ?? false });
    } catch (err) {
      waiting.reject(err as Error);
    }
  }

  private sweep(): void {
    const now = performance.now();
    for (const [token, waiting] of this.pending) {
      if (waiting.deadline > now) continue;
      this.pending.delete(token);
      waiting.reject(new errors.TimeoutError());
    }
    if (this.pending.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private failAll(err: Error): void {
    for (const waiting of this.pending.values()) waiting.reject(err);
    this.pending.clear();
  }
}
