import { describe, expect, it, jest } from '@jest/globals';
import type { JsMsg } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { REPLAY_HEADERS } from '../dead-letter/dead-letter.constants.js';
import { HEADERS } from '../headers/message-headers.js';
import type { RedeliveredMessage } from '../redelivery/redelivered-message.js';
import type { ConsumerBinding } from '../transport/consumer-bindings.js';
import { Delivery, type DeliveryHandler } from './delivery.js';
import { HandlerRoutes } from './handler-routes.js';
import { RouteStage } from './route.stage.js';

const binding: ConsumerBinding = { stream: 'ORDERS', durable: 'fulfillment-p1', consumer: 'fulfillment', maxDeliver: 3, retryDelaysMs: [100], concurrency: 1, prefetch: 0, maxKeepAliveMs: 0 };

/** A delivered message with only what routing reads. */
function delivery(h: Record<string, string> = {}, subject = 'orders.created.eu.std'): Delivery {
  const hdrs = headers();
  for (const [k, v] of Object.entries(h)) hdrs.set(k, v);
  const msg = { subject, data: new Uint8Array(), headers: hdrs, info: { stream: 'ORDERS', streamSequence: 7, deliveryCount: 1 }, time: new Date(), ack: jest.fn() };
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

  it('routes a copy on its own redelivery subject by the original subject, counting on from the attempts it carries', () => {
    const d = delivery({ [HEADERS.attempts]: '2' }, 'nestjet-redeliver.ORDERS.fulfillment-p1.orders.created.eu.std');
    const delivered = d.msg;
    expect(stage().run(d)).toBe(true);
    expect(d.route).toEqual({ pattern: 'orders.created', handler: fulfil });
    expect(d.priorAttempts).toBe(2);
    expect(d.attempt).toBe(3);
    // Everything downstream (spans, failure records, dead letters, ctx.getSubject()) reads the original subject…
    expect(d.msg.subject).toBe('orders.created.eu.std');
    expect((d.msg as RedeliveredMessage).deliveredSubject).toBe('nestjet-redeliver.ORDERS.fulfillment-p1.orders.created.eu.std');
    // …and settles the message the server delivered.
    expect(d.msg.info).toBe(delivered.info);
    d.msg.ack();
    expect(delivered.ack).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['another durable of the stream', 'nestjet-redeliver.ORDERS.fulfillment-p2.orders.created.eu.std'],
    ['the same durable name on another stream', 'nestjet-redeliver.PAYMENTS.fulfillment-p1.orders.created.eu.std'],
    ['no original subject', 'nestjet-redeliver.ORDERS.fulfillment-p1'],
  ])('skips a redelivery copy for %s unrouted (only a filter provisioning has not narrowed yet lets one in)', (_, subject) => {
    const d = delivery({ [HEADERS.attempts]: '2' }, subject);
    expect(stage().run(d)).toBe(false);
    expect(d.route).toBeNull();
    expect(d.priorAttempts).toBe(0);
  });

  it('goes by the redelivery subject, not by a nestjet-replay-for header the copy carries', () => {
    const d = delivery({ [REPLAY_HEADERS.replayFor]: 'fulfillment-p2' }, 'nestjet-redeliver.ORDERS.fulfillment-p1.orders.created.eu.std');
    expect(stage().run(d)).toBe(true);
    expect(d.route?.handler).toBe(fulfil);
  });

  it("still skips a copy stored before redelivery subjects (nestjet-replay-for on the topic subject) meant for another durable", () => {
    const d = delivery({ [REPLAY_HEADERS.replayFor]: 'fulfillment-p2', [HEADERS.attempts]: '2' });
    expect(stage().run(d)).toBe(false);
    expect(d.route).toBeNull();
    expect(d.priorAttempts).toBe(0);
  });

  it("still takes such a copy meant for this durable, counting on from the attempts it carries", () => {
    const d = delivery({ [REPLAY_HEADERS.replayFor]: 'fulfillment-p1', [HEADERS.attempts]: '2' });
    expect(stage().run(d)).toBe(true);
    expect(d.route?.handler).toBe(fulfil);
    expect(d.msg.subject).toBe('orders.created.eu.std');
    expect(d.priorAttempts).toBe(2);
    expect(d.attempt).toBe(3);
  });

  it.each([['-1'], ['0'], ['1.5'], ['abc'], ['1000000'], ['']])('reads attempts %j on a copy for this durable as none', (attempts) => {
    const legacy = delivery({ [REPLAY_HEADERS.replayFor]: 'fulfillment-p1', ...(attempts ? { [HEADERS.attempts]: attempts } : {}) });
    const copy = delivery(attempts ? { [HEADERS.attempts]: attempts } : {}, 'nestjet-redeliver.ORDERS.fulfillment-p1.orders.created.eu.std');
    for (const d of [legacy, copy]) {
      expect(stage().run(d)).toBe(true);
      expect(d.priorAttempts).toBe(0);
    }
  });

  it('ignores the attempts header on a message that is no copy', () => {
    const d = delivery({ [HEADERS.attempts]: '4' });
    expect(stage().run(d)).toBe(true);
    expect(d.priorAttempts).toBe(0);
  });
});
