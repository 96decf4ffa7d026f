import type { MessageFailure } from '../transport/message-failure.hook.js';
import type { Delivery, Outcome } from './delivery.js';

/**
 * What the pipeline tells about each delivery. Spans, metrics and the failure
 * record subscribe; the pipeline itself knows none of them. Every callback is
 * optional, and the pipeline calls only the listeners that have it (resolved
 * once, so an absent concern costs nothing per message). Callbacks that return
 * a promise are awaited before the delivery moves on: `failed` runs before the
 * settle, so a final failure is dead-lettered before the server may drop it.
 */
export interface DeliveryListener {
  /** A message arrived for a bound durable, before anything else happens to it. */
  delivered?(d: Delivery): void;
  /** Runs the handler inside whatever the listener needs around it (the span's context); only one listener may have it. */
  around?(d: Delivery, work: () => Promise<Outcome>): Promise<Outcome>;
  /** A redelivery (delivery count > 1) is about to run: the attempt before it may have ended without ack or nak. */
  redelivered?(d: Delivery): Promise<void> | void;
  /** The handler returned or threw, after `durationMs`. */
  handled?(d: Delivery, durationMs: number): void;
  /** The attempt failed and its settlement is decided: the reason, before the nak or term. */
  failed?(d: Delivery, failure: MessageFailure): Promise<void> | void;
  /** The delivery ended (`d.outcome`). */
  settled?(d: Delivery): void;
  /** A redelivered message was acked at last. */
  recovered?(d: Delivery): Promise<void> | void;
}

/** The listeners of one pipeline, grouped by callback once. */
export class DeliveryListeners {
  readonly delivered: ((d: Delivery) => void)[];
  readonly redelivered: ((d: Delivery) => Promise<void> | void)[];
  readonly handled: ((d: Delivery, durationMs: number) => void)[];
  readonly failed: ((d: Delivery, failure: MessageFailure) => Promise<void> | void)[];
  readonly settled: ((d: Delivery) => void)[];
  readonly recovered: ((d: Delivery) => Promise<void> | void)[];
  readonly around?: (d: Delivery, work: () => Promise<Outcome>) => Promise<Outcome>;

  constructor(listeners: readonly DeliveryListener[]) {
    const bound = (key: keyof DeliveryListener) =>
      listeners.filter((l) => typeof l[key] === 'function').map((l) => (l[key] as (...args: never[]) => unknown).bind(l)) as never;
    this.delivered = bound('delivered');
    this.redelivered = bound('redelivered');
    this.handled = bound('handled');
    this.failed = bound('failed');
    this.settled = bound('settled');
    this.recovered = bound('recovered');
    const around = listeners.filter((l) => l.around);
    if (around.length > 1) throw new Error('only one delivery listener may run the handler inside its own scope (around)');
    if (around[0]) this.around = around[0].around!.bind(around[0]);
  }
}
