import { ORDER_CONSUMERS, ORDERS_STREAM } from '#contracts';
import { inspect, waitFor, type NatsEndpoint, type Processed } from '#test-support';
import { PublishLoad, type PublishedOrder } from './publish-load.js';

/** What one scenario measured; `violations` empty means every guarantee held. */
export interface FaultOutcome {
  accepted: number;
  /** Orders the client gave up on (never answered 202); not a violation, the client knows. */
  unaccepted: number;
  /** Answers other than 202 by status (0: no answer), e.g. `{ 503: 12 }`. */
  refusals: Record<number, number>;
  /** What the ingress said for statuses other than 503, by status. */
  refusalDetails: Record<number, string>;
  storedOnce: number;
  /** Accepted orders processed by every durable they route to. */
  processedByAll: number;
  duplicateProcessings: number;
  longestUnavailabilityMs: number;
  p99FaultLatencyMs?: number;
  /** From the fault healing until every accepted order was processed by all its durables. */
  catchUpMs: number;
  violations: string[];
}

/** The durables an orders.created order routes to (see ordersTopology's filters). */
export function durablesFor(order: PublishedOrder): string[] {
  return [ORDER_CONSUMERS.fulfillment, ORDER_CONSUMERS.notifications, ...(order.highValue ? [ORDER_CONSUMERS.fraudReview] : [])];
}

/** How often each Nats-Msg-Id is stored in ORDERS, read back message by message. */
export async function storedMsgIds(nats: NatsEndpoint): Promise<Map<string, number>> {
  const { nc, jsm } = await inspect(nats);
  try {
    const { state } = await jsm.streams.info(ORDERS_STREAM);
    const counts = new Map<string, number>();
    for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
      const m = await jsm.streams.getMessage(ORDERS_STREAM, { seq }).catch(() => null);
      const id = m?.header?.get('Nats-Msg-Id');
      if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  } finally {
    await nc.close();
  }
}

/** Longest stretch of the load without a 202 (from the load's first attempt to its last answer). */
export function longestUnavailabilityMs(orders: PublishedOrder[]): number {
  if (orders.length === 0) return 0;
  const start = Math.min(...orders.map((o) => o.firstAttemptAt));
  const accepted = orders.flatMap((o) => (o.acceptedAt === undefined ? [] : [o.acceptedAt])).sort((a, b) => a - b);
  const end = Math.max(start, ...accepted);
  let longest = 0;
  let previous = start;
  for (const t of [...accepted, end]) {
    longest = Math.max(longest, t - previous);
    previous = t;
  }
  return longest;
}

/** p99 of first attempt → 202 over the orders first tried between `from` and `to`. */
export function p99LatencyMs(orders: PublishedOrder[], from: number, to: number): number | undefined {
  const latencies = orders
    .filter((o) => o.acceptedAt !== undefined && o.firstAttemptAt >= from && o.firstAttemptAt <= to)
    .map((o) => o.acceptedAt! - o.firstAttemptAt)
    .sort((a, b) => a - b);
  if (latencies.length === 0) return undefined;
  return latencies[Math.min(latencies.length - 1, Math.ceil(latencies.length * 0.99) - 1)];
}

/**
 * Waits until every accepted order was processed by each durable it routes to
 * (bounded), then checks the guarantees against the server: every 202 stored
 * exactly once, nothing stored twice, processed at least once per durable.
 * `processed` reads the consumers' `message.processed` events: of the processes
 * a fault test started, or of the pods of a cluster test. `resumed: false` skips
 * the check that orders first tried after the fault were accepted (a load that
 * ended before the window closed, as when lag is built for an autoscaler).
 */
export async function judge(
  nats: NatsEndpoint,
  load: PublishLoad,
  processed: () => Processed[],
  fault: { from: number; to: number; resumed?: boolean },
  processTimeoutMs = 120_000,
): Promise<FaultOutcome> {
  const accepted = load.accepted();
  const violations: string[] = [];
  const pairs = (list: PublishedOrder[]) => list.flatMap((o) => durablesFor(o).map((d) => `${d}/${o.orderId}`));
  const expected = pairs(accepted);
  const done = () => new Set(processed().map((p) => `${p.consumer}/${p.orderId}`));
  await waitFor('every accepted order processed by each of its durables', () => expected.every((k) => done().has(k)), processTimeoutMs, 500).catch(() => undefined);
  const caughtUpAt = Date.now();
  const seen = done();
  const missingPairs = expected.filter((k) => !seen.has(k));
  if (missingPairs.length > 0) violations.push(`${missingPairs.length} (order, durable) pairs never processed, e.g. ${missingPairs.slice(0, 3).join(', ')}`);
  const missedOrders = new Set(missingPairs.map((k) => k.split('/')[1]));

  const stored = await storedMsgIds(nats);
  const ours = new Set(load.orders.map((o) => PublishLoad.msgIdOf(o)));
  const lost = accepted.filter((o) => (stored.get(PublishLoad.msgIdOf(o)) ?? 0) === 0);
  const twice = [...stored].filter(([id, n]) => ours.has(id) && n > 1);
  if (lost.length > 0) violations.push(`${lost.length} accepted orders not stored, e.g. ${lost.slice(0, 3).map((o) => o.orderId).join(', ')}`);
  if (twice.length > 0) violations.push(`${twice.length} messages stored more than once`);

  if (fault.resumed !== false && !load.orders.some((o) => o.firstAttemptAt > fault.to && o.acceptedAt !== undefined)) violations.push('no order first tried after the fault healed was accepted: service did not resume');

  const orderIds = new Set(load.orders.map((o) => o.orderId));
  const processings = processed().filter((p) => orderIds.has(p.orderId));
  const refusals: Record<number, number> = {};
  for (const s of load.orders.flatMap((o) => o.refusals)) refusals[s] = (refusals[s] ?? 0) + 1;
  return {
    accepted: accepted.length,
    unaccepted: load.orders.length - accepted.length,
    refusals,
    refusalDetails: Object.fromEntries(load.refusalDetails),
    storedOnce: accepted.filter((o) => stored.get(PublishLoad.msgIdOf(o)) === 1).length,
    processedByAll: accepted.filter((o) => !missedOrders.has(o.orderId)).length,
    duplicateProcessings: processings.length - new Set(processings.map((p) => `${p.consumer}/${p.orderId}`)).size,
    longestUnavailabilityMs: longestUnavailabilityMs(load.orders),
    p99FaultLatencyMs: p99LatencyMs(load.orders, fault.from, fault.to),
    catchUpMs: caughtUpAt - fault.to,
    violations,
  };
}
