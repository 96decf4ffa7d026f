import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { OrderCreatedDto } from '#contracts';
import type { JsMsg } from '@nats-io/jetstream';
import {
  Controller, createParamDecorator, Injectable, Module, ParseIntPipe, Scope, UseGuards, UseInterceptors, ValidationPipe,
  type CallHandler, type CanActivate, type INestMicroservice, type NestInterceptor, type Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload, type MessageHandler } from '@nestjs/microservices';
import { HandlersOnlyServer } from '#testing';
import { PATTERN_EXTRAS_METADATA } from '@nestjs/microservices/constants.js';
import { isObservable, lastValueFrom, type Observable } from 'rxjs';
import { PayloadValidationError } from '../errors/non-retryable.error.js';
import { JetStreamHandler } from '../transport/jetstream-handler.decorator.js';
import { JetStreamContext } from '../transport/jetstream.context.js';
import { DirectHandlers } from './direct-handlers.js';

const calls: unknown[][] = [];
const boom = new TypeError('handler failed');
const On = (pattern: string, extras?: object) => (extras ? EventPattern<string>(pattern, extras) : EventPattern<string>(pattern));

@JetStreamHandler()
class Orders {
  @On('orders.created') handle(@Payload() order: OrderCreatedDto, @Ctx() ctx: JetStreamContext) { calls.push([order, ctx]); }
  @On('orders.id') id(@Payload('orderId') id: string) { calls.push([id]); }
  @On('orders.bare') bare(...args: unknown[]) { calls.push(args); }
  @On('orders.bare-typed') bareTyped(order: OrderCreatedDto, ctx: JetStreamContext) { calls.push([order, ctx]); }
  @On('orders.fail') fail(@Payload() order: OrderCreatedDto) { return Promise.reject(boom).finally(() => calls.push([order])); }
  @On('orders.paid', { consumer: 'x' }) paid(@Payload() order: OrderCreatedDto) { calls.push([order]); }
}
@Controller()
class PlainController {
  @On('plain.fail') fail(@Payload() order: unknown) { calls.push([order]); throw boom; }
}

class Allow implements CanActivate { canActivate() { return true; } }
class PassThrough implements NestInterceptor { intercept(_: unknown, next: CallHandler): Observable<unknown> { return next.handle(); } }
const Custom = createParamDecorator((_data: unknown, ctx) => ctx.switchToRpc().getData());
@Injectable({ scope: Scope.REQUEST }) class PerRequest {}

@JetStreamHandler()
@UseGuards(Allow)
class Guarded {
  @On('guarded') handle(@Payload() order: OrderCreatedDto) { return order; }
}
@JetStreamHandler()
class Enhanced {
  @On('intercepted') @UseInterceptors(PassThrough) intercepted(@Payload() order: OrderCreatedDto) { return order; }
  @On('param-pipe') parsed(@Payload('orderId', ParseIntPipe) id: number) { return id; }
  @On('custom-param') custom(@Custom() payload: unknown) { return payload; }
}
@JetStreamHandler()
class WithRequestScoped {
  constructor(readonly dep: PerRequest) {}
  @On('request-dep') handle(@Payload() order: OrderCreatedDto) { return order; }
}
@Controller({ scope: Scope.REQUEST })
class RequestScoped {
  @On('request-controller') handle(@Payload() order: unknown) { return order; }
}

@Module({ controllers: [Orders, PlainController] }) class OrdersModule {}
@Module({ controllers: [Guarded, Enhanced, WithRequestScoped, RequestScoped], providers: [PerRequest] }) class FallbackModule {}

const order = { orderId: 'o-1', amount: 12.5, currency: 'EUR', region: 'eu', customerId: 'c-1' };
const ctx = new JetStreamContext([{ subject: 'orders.created.eu.std' } as JsMsg, 'fulfillment']);
const apps: INestMicroservice[] = [];

/** A started microservice; DirectHandlers is made after `configure` (useGlobal*) and listen, as the transport makes it. */
async function start(module: Type, configure?: (app: INestMicroservice) => void) {
  const server = new HandlersOnlyServer();
  const app = await NestFactory.createMicroservice(module, { logger: false, strategy: server });
  apps.push(app);
  configure?.(app);
  await app.listen();
  const direct = new DirectHandlers(app);
  return { direct, server, resolve: (pattern: string) => direct.resolve(server.extras.get(pattern)), nest: (pattern: string) => server.getHandlers().get(pattern)! };
}
type Started = Awaited<ReturnType<typeof start>>;

/** How a call ends as InvokeStage takes it: the value, or what it (or the stream it returns) fails with; and the method's arguments. */
async function outcome(handler: MessageHandler, payload: unknown): Promise<{ value?: unknown; error?: unknown; args: unknown[][] }> {
  calls.length = 0;
  try {
    const result: unknown = await handler(payload, ctx);
    return { value: isObservable(result) ? await lastValueFrom(result, { defaultValue: undefined }) : result, args: calls.splice(0) };
  } catch (error) {
    return { error, args: calls.splice(0) };
  }
}

/** The pattern's handler called directly and through Nest's pipeline. */
async function bothWays(app: Started, pattern: string, payload: unknown) {
  const direct = app.resolve(pattern);
  expect(direct).toBeInstanceOf(Function);
  return { viaDirect: await outcome(direct!, payload), viaNest: await outcome(app.nest(pattern), payload) };
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

describe('DirectHandlers', () => {
  it('validates @Payload() into the DTO and passes @Ctx() as Nest does', async () => {
    const { viaDirect, viaNest } = await bothWays(await start(OrdersModule), 'orders.created', { ...order, unknownField: 1 });
    expect(viaDirect.error).toBeUndefined();
    const [[dto, context]] = viaDirect.args;
    expect(dto).toBeInstanceOf(OrderCreatedDto);
    expect(dto).toEqual(Object.assign(new OrderCreatedDto(), order)); // whitelisted, as Nest's pipe does
    expect(context).toBe(ctx);
    expect(viaNest.args[0]?.[1]).toBe(ctx);
    expect(viaDirect).toEqual(viaNest);
  });

  it('rejects an invalid payload with the PayloadValidationError Nest gives', async () => {
    const { viaDirect, viaNest } = await bothWays(await start(OrdersModule), 'orders.created', { ...order, amount: -1, region: 'mars' });
    expect(viaDirect.error).toBeInstanceOf(PayloadValidationError);
    expect(viaNest.error).toBeInstanceOf(PayloadValidationError);
    expect((viaDirect.error as Error).message).toBe((viaNest.error as Error).message);
    expect((viaDirect.error as PayloadValidationError).errors).toEqual((viaNest.error as PayloadValidationError).errors);
    expect(viaDirect.args).toEqual([]);
  });

  it("gives @Payload('orderId') the property", async () => {
    const { viaDirect, viaNest } = await bothWays(await start(OrdersModule), 'orders.id', order);
    expect(viaDirect.args).toEqual([['o-1']]);
    expect(viaDirect).toEqual(viaNest);
  });

  // Known divergences (see the report): remove `.failing` once direct-handlers.ts matches Nest.
  it('calls a method without parameter decorators with the arguments Nest gives it (the payload alone)', async () => {
    const { viaDirect, viaNest } = await bothWays(await start(OrdersModule), 'orders.bare', order);
    expect(viaNest.args).toEqual([[order]]);
    expect(viaDirect).toEqual(viaNest);
  });

  it('validates the first parameter of a method without parameter decorators, as Nest does', async () => {
    const { viaDirect, viaNest } = await bothWays(await start(OrdersModule), 'orders.bare-typed', { ...order, amount: -1 });
    expect(viaNest.error).toBeInstanceOf(PayloadValidationError);
    expect(viaDirect).toEqual(viaNest);
  });

  it('leaves a class without JetStreamExceptionFilter to Nest, whose default filter replaces errors', async () => {
    const app = await start(OrdersModule);
    expect((await outcome(app.nest('plain.fail'), order)).error).toEqual({ status: 'error', message: 'Internal server error' });
    expect(app.resolve('plain.fail')).toBeUndefined();
  });

  it("lets the handler's error through unchanged, as JetStreamExceptionFilter does", async () => {
    const { viaDirect, viaNest } = await bothWays(await start(OrdersModule), 'orders.fail', order);
    expect(viaDirect.error).toBe(boom);
    expect(viaNest.error).toBe(boom);
    expect(viaDirect.args).toEqual(viaNest.args);
  });

  it('finds the handler by the extras object Nest hands over, not by an equal one', async () => {
    const app = await start(OrdersModule);
    const extras = app.server.extras.get('orders.paid');
    expect(extras).toBe(Reflect.getMetadata(PATTERN_EXTRAS_METADATA, Orders.prototype.paid));
    expect(extras).toEqual({ consumer: 'x' });
    const { viaDirect, viaNest } = await bothWays(app, 'orders.paid', order);
    expect(viaDirect.args[0]?.[0]).toBeInstanceOf(OrderCreatedDto);
    expect(viaDirect).toEqual(viaNest);
    for (const unknown of [{ consumer: 'x' }, {}, undefined]) expect(app.direct.resolve(unknown)).toBeUndefined();
  });

  it.each(['guarded', 'intercepted', 'param-pipe', 'custom-param', 'request-dep', 'request-controller'])('leaves %s to Nest', async (pattern) => {
    const app = await start(FallbackModule);
    expect(app.server.extras.get(pattern)).toBeDefined();
    expect(app.resolve(pattern)).toBeUndefined();
  });

  it.each([
    ['a global pipe', (app: INestMicroservice) => app.useGlobalPipes(new ValidationPipe())],
    ['a global interceptor', (app: INestMicroservice) => app.useGlobalInterceptors(new PassThrough())],
    ['a global guard', (app: INestMicroservice) => app.useGlobalGuards(new Allow())],
  ])('leaves every handler to Nest in an app with %s', async (_, configure) => {
    const app = await start(OrdersModule, configure);
    expect(app.resolve('orders.created')).toBeUndefined();
    expect(app.resolve('orders.id')).toBeUndefined();
  });
});
