import { setTimeout as sleep } from 'node:timers/promises';
import { HIGH_VALUE_THRESHOLD } from '#contracts';
import { authHeaders, storedMsgId } from '#test-support';

/** One order the load tried to publish, and how it went. */
export interface PublishedOrder {
  orderId: string;
  idempotencyKey: string;
  highValue: boolean;
  /** When the first attempt started and the 202 arrived (epoch ms); `acceptedAt` unset when it never got one. */
  firstAttemptAt: number;
  acceptedAt?: number;
  attempts: number;
  /** Statuses of the attempts that did not answer 202 (0: no answer within the client timeout, or connection refused). */
  refusals: number[];
}

export interface PublishLoadOptions {
  /** Orders started per second (spread evenly); each keeps retrying until 202 or `retryForMs` ends. */
  ratePerSecond: number;
  /** Per-request client timeout. */
  requestTimeoutMs?: number;
  /** How long one order is retried with its Idempotency-Key before the client gives up. */
  retryForMs?: number;
  /** Statuses a client retries besides 503 and no answer (e.g. 507 while a disk is full). */
  retryStatuses?: number[];
  /** Every n-th order is high value (routed to fraud-review as well). */
  highValueEvery?: number;
}

/**
 * A REST publish load as a careful client produces it: every order has its own
 * Idempotency-Key and is retried with that same key after a 503, another
 * retryable status or a timeout, until it is accepted (202). Runs until
 * `stop()`; then waits for the orders still being retried.
 */
export class PublishLoad {
  readonly orders: PublishedOrder[] = [];
  /** The first problem `detail` seen for each status other than 503 (what the client was told). */
  readonly refusalDetails = new Map<number, string>();
  private stopped = false;
  private readonly running: Promise<void>[] = [];
  private readonly prefix = `f${Date.now().toString(36)}`;

  constructor(
    private readonly producerUrl: string,
    private readonly options: PublishLoadOptions,
  ) {}

  start(): this {
    this.running.push(this.pace());
    return this;
  }

  /** Stops starting orders and waits (bounded by `retryForMs`) for those in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    while (this.running.length > 0) await Promise.all(this.running.splice(0));
  }

  accepted(): PublishedOrder[] {
    return this.orders.filter((o) => o.acceptedAt !== undefined);
  }

  /** The Nats-Msg-Id the producer stores for an order (derived from the key). */
  static msgIdOf(order: PublishedOrder): string {
    return storedMsgId(order.idempotencyKey);
  }

  private async pace(): Promise<void> {
    const every = 1000 / this.options.ratePerSecond;
    let next = Date.now();
    for (let n = 0; !this.stopped; n++) {
      this.running.push(this.publish(n));
      next += every;
      await sleep(Math.max(0, next - Date.now()));
    }
  }

  private async publish(n: number): Promise<void> {
    const highValue = n % (this.options.highValueEvery ?? 5) === 0;
    const orderId = `${this.prefix}-${n}`;
    const record: PublishedOrder = { orderId, idempotencyKey: `key-${orderId}`, highValue, firstAttemptAt: Date.now(), attempts: 0, refusals: [] };
    this.orders.push(record);
    const payload = { orderId, customerId: 'c-faults', amount: highValue ? HIGH_VALUE_THRESHOLD * 2 : 25, currency: 'EUR', region: 'eu' };
    const giveUpAt = record.firstAttemptAt + (this.options.retryForMs ?? 120_000);
    const retryable = new Set([503, ...(this.options.retryStatuses ?? [])]);
    while (Date.now() < giveUpAt) {
      record.attempts++;
      let status = 0;
      try {
        const r = await fetch(`${this.producerUrl}/v1/topics/orders.created/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': record.idempotencyKey, ...authHeaders() },
          body: JSON.stringify(payload),
          signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 10_000),
        });
        const body = await r.text();
        status = r.status;
        if (status !== 202 && status !== 503 && !this.refusalDetails.has(status)) this.refusalDetails.set(status, problemDetail(body));
      } catch {
        status = 0;
      }
      if (status === 202) {
        record.acceptedAt = Date.now();
        return;
      }
      record.refusals.push(status);
      if (status !== 0 && !retryable.has(status)) return;
      await sleep(250);
    }
  }
}

function problemDetail(body: string): string {
  try {
    const p = JSON.parse(body) as { detail?: string; title?: string };
    return p.detail ?? p.title ?? body.slice(0, 200);
  } catch {
    return body.slice(0, 200);
  }
}
