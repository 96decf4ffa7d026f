import { describe, expect, it } from '@jest/globals';
import type { JsMsg } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { REPLAY_HEADERS } from '../dead-letter/dead-letter.constants.js';
import { HEADERS } from '../headers/message-headers.js';
import type { ConsumerBinding } from '../transport/consumer-bindings.js';
import { Delivery, type DeliveryHandler } from './delivery.js';
import { HandlerRoutes } from './handler-routes.js';
import { RouteStage } from './route.stage.js';

const binding: ConsumerBinding = { stream: 'ORDERS', durable: 'fulfillment-p1', consumer: 'fulfillment', maxDeliver: 3, retryDelaysMs: [100], concurrency: 1, prefetch: 0, maxKeepAliveMs: 0 };

/** A delivered message with only what routing reads. */
function delivery(h: Record<string, string> = {}, subject = 'orders.created.eu.std'): Delivery {
  const hdrs = headers();
  for (const [k, v] of Object.entries(h)) hdrs.set(k, v);
  const msg = { subject, data: new Uint8Array(), headers: hdrs, info: { stream: 'ORDERS', streamSequence: 7, deliveryCount: 1 }, time: new Date() };
  return new Delivery(binding, msg as unknown as JsMsg);
}

const fulfil: DeliveryHandler = async () => undefined;
const shared: DeliveryHandler = async () => undefined;

function stage(): RouteStage {
  const routes = new HandlerRoutes<DeliveryHandler>();
  routes.add('fulfillment', 'orders.created', fulfil);
  routes.add(undefined, 'orders.paid', shared);
  return new RouteStage(routes);
}

describe('RouteStage', () => {
  it('finds the route by the binding consumer and subject', () => {
    const d = delivery();
    expect(stage().run(d)).toBe(true);
    expect(d.route).toEqual({ pattern: 'orders.created', handler: fulfil });
    expect(d.priorAttempts).toBe(0);
    const paid = delivery({}, 'orders.paid.eu.std');
    stage().run(paid);
    expect(paid.route?.handler).toBe(shared);
  });

  it('keeps the route null when no handler matches, so the delivery fails as poison later', () => {
    const d = delivery({}, 'orders.shipped.eu.std');
    expect(stage().run(d)).toBe(true);
    expect(d.route).toBeNull();
  });

  it("skips a replay or rescheduled copy meant for another durable, without routing it", () => {
    const d = delivery({ [REPLAY_HEADERS.replayFor]: 'fulfillment-p2', [HEADERS.attempts]: '2' });
    expect(stage().run(d)).toBe(false);
    expect(d.route).toBeNull();
    expect(d.priorAttempts).toBe(0);
  });

  it("takes a copy meant for this durable, counting on from the attempts it carries", () => {
    const d = delivery({ [REPLAY_HEADERS.replayFor]: 'fulfillment-p1', [HEADERS.attempts]: '2' });
    expect(stage().run(d)).toBe(true);
    expect(d.route?.handler).toBe(fulfil);
    expect(d.priorAttempts).toBe(2);
    expect(d.attempt).toBe(3);
  });

  it.each([['-1'], ['0'], ['1.5'], ['abc'], ['1000000'], ['']])('reads attempts %j on a copy for this durable as none', (attempts) => {
    const d = delivery({ [REPLAY_HEADERS.replayFor]: 'fulfillment-p1', ...(attempts ? { [HEADERS.attempts]: attempts } : {}) });
    expect(stage().run(d)).toBe(true);
    expect(d.priorAttempts).toBe(0);
  });

  it('ignores the attempts header on a message that is no copy', () => {
    const d = delivery({ [HEADERS.attempts]: '4' });
    expect(stage().run(d)).toBe(true);
    expect(d.priorAttempts).toBe(0);
  });
});
