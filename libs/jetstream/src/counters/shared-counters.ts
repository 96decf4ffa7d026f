import { headers as natsHeaders } from '@nats-io/transport-node';
import type { JetStreamClient } from '@nats-io/jetstream';
import { COUNTER_INCREMENT_HEADER } from './counter.constants.js';

export interface SharedCountersOptions {
  /** How often local increments are added to the shared totals (and the totals read back). */
  flushIntervalMs: number;
  /**
   * The part of a limit one process may take without asking the server:
   * past it, a take waits for an increment's answer. Bounds how far N
   * processes together can go past a limit (see `take`).
   */
  localShare: number;
  /** A counter not touched for this long is forgotten locally (its subject keeps the total). */
  idleMs: number;
}

/** The outcome of a take: `total` is this process's view of the counter, including the take when granted. */
export interface Take {
  granted: boolean;
  total: number;
}

interface Cell {
  /** The shared total at the last answer from the server (it includes every increment flushed before). */
  known: number;
  /** Taken here, not yet sent. */
  unflushed: number;
  /** Sent, answer pending. */
  inFlight: number;
  flushing?: Promise<void>;
  syncedAt: number;
  /** How many answers the server gave for this counter. */
  answers: number;
  usedAt: number;
}

/**
 * Counters shared by every process, kept in a JetStream counter stream
 * (ADR-49: a publish with `Nats-Incr: +n` adds n to its subject's total and
 * the PubAck returns the new total). A take is decided locally, on the last
 * known total plus what this process took since; increments are sent in one
 * publish per counter every `flushIntervalMs` (with `+0` for a counter in use
 * and nothing to send, to learn the others' increments). So the hot path costs
 * no round trip, except when a process's unsent takes would pass its
 * `localShare` of the limit, or a refusal rests on a total older than one flush
 * interval (a gauge may have gone down): then it waits for one increment.
 *
 * While the broker does not answer, takes are decided on local knowledge
 * without waiting (each process limits on its own, from the last totals it
 * learnt) and increments are kept to send later by the timer.
 */
/** An increment not answered within this is given up (and kept to send again): a take must not wait long on the broker. */
const INCREMENT_TIMEOUT_MS = 1_000;

export class SharedCounters {
  private readonly cells = new Map<string, Cell>();
  private timer?: NodeJS.Timeout;
  /** False since an increment failed, until one is answered: meanwhile no take waits for the broker. */
  private answering = true;

  constructor(
    private readonly js: JetStreamClient,
    private readonly options: SharedCountersOptions,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.flushAll(), this.options.flushIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flushAll();
  }

  /**
   * Takes `amount` of `limit` on the counter `subject`, or refuses (taking
   * nothing). Worst case over the limit, with N processes: a process takes
   * locally at most `localShare × limit` beyond the last total it learnt, and
   * every increment answers the current total, so together they pass the
   * limit by less than N × localShare × limit (plus one take's amount).
   */
  async take(subject: string, amount: number, limit: number): Promise<Take> {
    const cell = this.cell(subject);
    cell.usedAt = performance.now();
    if (this.estimate(cell) + amount > limit) {
      // Refuse on fresh knowledge only: the others' decrements (or a new window) may have made room.
      if (!this.answering || performance.now() - cell.syncedAt <= this.options.flushIntervalMs) return { granted: false, total: this.estimate(cell) };
      await this.flush(subject, cell);
      if (this.estimate(cell) + amount > limit) return { granted: false, total: this.estimate(cell) };
    }
    const share = Math.floor(limit * this.options.localShare);
    if (cell.unflushed + cell.inFlight + amount <= share || !this.answering) {
      cell.unflushed += amount;
      return { granted: true, total: this.estimate(cell) };
    }
    // Past this process's share: take it with the server's answer (the total with this take in it).
    cell.unflushed += amount;
    const answers = cell.answers;
    await this.flush(subject, cell);
    const total = cell.answers !== answers ? cell.known : this.estimate(cell);
    if (total <= limit) return { granted: true, total: this.estimate(cell) };
    cell.unflushed -= amount; // given back at the next flush
    return { granted: false, total: this.estimate(cell) };
  }

  /** Adds `delta` (may be negative) unconditionally, e.g. a freed amount. */
  add(subject: string, delta: number): void {
    const cell = this.cell(subject);
    cell.unflushed += delta;
    cell.usedAt = performance.now();
  }

  /** Sends every pending increment, refreshes counters in use, forgets idle ones. */
  async flushAll(): Promise<void> {
    const now = performance.now();
    const sends: Promise<void>[] = [];
    for (const [subject, cell] of this.cells) {
      if (cell.unflushed !== 0 || (cell.usedAt > cell.syncedAt && !cell.flushing)) sends.push(this.flush(subject, cell));
      else if (now - cell.usedAt > this.options.idleMs && cell.inFlight === 0 && !cell.flushing) this.cells.delete(subject);
    }
    await Promise.all(sends);
  }

  private estimate(cell: Cell): number {
    return cell.known + cell.inFlight + cell.unflushed;
  }

  private cell(subject: string): Cell {
    let cell = this.cells.get(subject);
    if (!cell) {
      // Never synced: the first take past the local share (or the first refusal) asks the server.
      cell = { known: 0, unflushed: 0, inFlight: 0, syncedAt: -Infinity, answers: 0, usedAt: performance.now() };
      this.cells.set(subject, cell);
    }
    return cell;
  }

  /** One increment in flight per counter; a second caller waits for it and sends what accumulated meanwhile. */
  private async flush(subject: string, cell: Cell): Promise<void> {
    while (cell.flushing) await cell.flushing;
    const delta = cell.unflushed;
    cell.unflushed = 0;
    cell.inFlight = delta;
    const sentAt = performance.now();
    const h = natsHeaders();
    h.set(COUNTER_INCREMENT_HEADER, delta >= 0 ? `+${delta}` : String(delta));
    cell.flushing = this.js
      .publish(subject, undefined, { headers: h, timeout: INCREMENT_TIMEOUT_MS })
      .then((ack) => {
        cell.known = Number((ack as { val?: string }).val ?? cell.known);
        cell.syncedAt = sentAt;
        cell.answers++;
        this.answering = true;
      })
      .catch(() => {
        // Kept to send again; decisions go on with local knowledge until the broker answers again.
        cell.unflushed += delta;
        this.answering = false;
      })
      .finally(() => {
        cell.inFlight = 0;
        cell.flushing = undefined;
      });
    await cell.flushing;
  }
}
