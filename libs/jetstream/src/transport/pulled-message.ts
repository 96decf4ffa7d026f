import type { DeliveryInfo, JsMsg, PullOptions } from '@nats-io/jetstream';
import { millis, nanos, type Msg, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';

/** Acknowledgement bodies of the JetStream ack protocol (ADR-15). */
const ACK = Uint8Array.of(0x2b, 0x41, 0x43, 0x4b); // +ACK
const NAK = Uint8Array.of(0x2d, 0x4e, 0x41, 0x4b); // -NAK
const WPI = Uint8Array.of(0x2b, 0x57, 0x50, 0x49); // +WPI
const TERM = Uint8Array.of(0x2b, 0x54, 0x45, 0x52, 0x4d); // +TERM
const encoder = new TextEncoder();

/** How long `ackAck()` waits for the server's answer unless told otherwise (nats.js's default). */
export const ACK_ACK_TIMEOUT_MS = 5_000;

/**
 * A message a pull delivered, as nats.js's `JsMsg`, built on the public
 * client API only: acks are answers on the message's reply subject, `ackAck`
 * a request to it. nats.js exports the type but not its implementation; this
 * one also parses the reply subject (the delivery info) only when something
 * reads it, once.
 */
export class PulledMessage implements JsMsg {
  private delivery?: DeliveryInfo;
  /** Every answer but `+WPI` is final: the server ignores a second, so it is not sent. */
  private settled = false;

  constructor(
    private readonly msg: Msg,
    private readonly nc: NatsConnection,
  ) {}

  get subject(): string {
    return this.msg.subject;
  }

  get sid(): number {
    return this.msg.sid;
  }

  get data(): Uint8Array {
    return this.msg.data;
  }

  get headers(): MsgHdrs | undefined {
    return this.msg.headers;
  }

  get info(): DeliveryInfo {
    return (this.delivery ??= parseDeliveryInfo(this.msg.reply ?? ''));
  }

  get redelivered(): boolean {
    return this.info.deliveryCount > 1;
  }

  get seq(): number {
    return this.info.streamSequence;
  }

  get time(): Date {
    return new Date(millis(this.info.timestampNanos));
  }

  get timestamp(): string {
    return this.time.toISOString();
  }

  /** Exact: the token as a bigint (a double loses the last digits of a nanosecond time). */
  get timestampNanos(): bigint {
    const reply = this.msg.reply ?? '';
    return BigInt(token(reply, ackTokenStarts(reply), 9));
  }

  ack(): void {
    this.answer(ACK);
  }

  nak(delayMs?: number): void {
    this.answer(delayMs ? encoder.encode(`-NAK ${JSON.stringify({ delay: nanos(delayMs) })}`) : NAK);
  }

  working(): void {
    if (!this.settled) this.msg.respond(WPI);
  }

  term(reason = ''): void {
    this.answer(reason ? encoder.encode(`+TERM ${reason}`) : TERM);
  }

  next(subject: string, options: Partial<PullOptions> = { batch: 1 }): void {
    const pull: Record<string, unknown> = { batch: options.batch || 1, no_wait: options.no_wait || false };
    if (options.expires && options.expires > 0) pull.expires = nanos(options.expires);
    this.msg.respond(encoder.encode(`+NXT ${JSON.stringify(pull)}`), subject ? { reply: subject } : undefined);
  }

  /** An ack the server confirms: true once it answered, false if this message was settled already or has no reply subject. */
  async ackAck(options?: Partial<{ timeout: number }>): Promise<boolean> {
    if (this.settled || !this.msg.reply) return false;
    this.settled = true;
    await this.nc.request(this.msg.reply, ACK, { timeout: options?.timeout ?? ACK_ACK_TIMEOUT_MS });
    return true;
  }

  json<T>(): T {
    return this.msg.json<T>();
  }

  string(): string {
    return this.msg.string();
  }

  private answer(body: Uint8Array): void {
    if (this.settled) return;
    this.settled = true;
    this.msg.respond(body);
  }
}

/**
 * `$JS.ACK.<domain>.<account hash>.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<timestamp>.<pending>.<token>`;
 * servers before 2.9 send the 9-token form without domain and account hash. Read by one scan for the dots:
 * this runs for every message, and a `split` (twelve strings) showed in the consumer's profile.
 */
function ackTokenStarts(reply: string): number[] {
  const starts = [0];
  for (let i = reply.indexOf('.'); i !== -1; i = reply.indexOf('.', i + 1)) starts.push(i + 1);
  if (starts.length === 9) starts.splice(2, 0, -1, -1);
  if (starts.length < 11 || !reply.startsWith('$JS.ACK.')) {
    throw new Error(`not a JetStream delivery: reply subject ${JSON.stringify(reply.slice(0, 200))}`);
  }
  return starts;
}

/** Token `n` (from ackTokenStarts), '' for the absent domain and account hash of the old form. */
function token(reply: string, starts: number[], n: number): string {
  return starts[n] === -1 ? '' : reply.slice(starts[n], (starts[n + 1] ?? reply.length + 1) - 1);
}

/** A non-negative decimal token below 2^53, without a substring (`parseInt` of a slice allocates one). */
function decimal(reply: string, starts: number[], n: number): number {
  let value = 0;
  const end = (starts[n + 1] ?? reply.length + 1) - 1;
  for (let i = starts[n]; i < end; i++) value = value * 10 + (reply.charCodeAt(i) - 48);
  return value;
}

export function parseDeliveryInfo(reply: string): DeliveryInfo {
  const t = ackTokenStarts(reply);
  const deliveryCount = decimal(reply, t, 6);
  const domain = token(reply, t, 2);
  return {
    domain: domain === '_' ? '' : domain,
    account_hash: token(reply, t, 3),
    stream: token(reply, t, 4),
    consumer: token(reply, t, 5),
    deliveryCount,
    redelivered: deliveryCount > 1,
    streamSequence: decimal(reply, t, 7),
    deliverySequence: decimal(reply, t, 8),
    // Nanoseconds since 1970 exceed 2^53: parsed as one number, rounded once, as nats.js does.
    timestampNanos: parseInt(token(reply, t, 9), 10),
    pending: decimal(reply, t, 10),
  };
}
