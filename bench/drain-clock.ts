/**
 * A drain's throughput from its first message to its last. Connecting,
 * binding and subscribing are not throughput, and each side's differ (a Nest
 * app's bootstrap, a push consumer's creation); every message after the first
 * still pays its side's cold code, so JIT warm-up stays in the figure.
 */
export class DrainClock {
  private firstAt = 0;
  private lastAt = 0;
  private seen = 0;
  private finish!: () => void;
  /** Resolves when `total` messages have been counted. */
  readonly done = new Promise<void>((resolve) => (this.finish = resolve));

  constructor(private readonly total: number) {}

  /** Counts one handled message. */
  tick(): void {
    const now = performance.now();
    if (this.seen === 0) this.firstAt = now;
    this.lastAt = now;
    if (++this.seen === this.total) this.finish();
  }

  get count(): number {
    return this.seen;
  }

  /** Messages per second over the intervals between the first and the last message. */
  get rate(): number {
    return (this.seen - 1) / ((this.lastAt - this.firstAt) / 1000);
  }
}
