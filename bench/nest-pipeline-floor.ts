import 'reflect-metadata';
import { ORDER_TOPICS } from '#contracts';
import { JetStreamContext, JetStreamHandler } from '#jetstream';
import type { JsMsg } from '@nats-io/jetstream';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern } from '@nestjs/microservices';
import { HandlersOnlyServer } from '#testing';

@JetStreamHandler()
class NoopHandler {
  @EventPattern<string>(ORDER_TOPICS.created)
  handle(@Ctx() ctx: JetStreamContext): void {
    void ctx;
  }
}

@Module({ controllers: [NoopHandler] })
class NoopModule {}

/**
 * CPU time (user + system) one call of the bench's no-op handler costs
 * through Nest's microservice pipeline alone — the handler class decorated
 * as nestjet's handlers are (`@JetStreamHandler()`: its pipe and exception
 * filter), context creator, param resolution, interceptor chain, RPC proxy —
 * with no message, socket or transport around it. Any Nest transport pays
 * this per message on top of what a bare nats.js loop does.
 */
export async function nestPipelineMicros(calls = 200_000): Promise<number> {
  const server = new HandlersOnlyServer();
  const app = await NestFactory.createMicroservice(NoopModule, { logger: false, strategy: server });
  await app.listen();
  try {
    const handler = server.getHandlers().get(ORDER_TOPICS.created);
    if (!handler) throw new Error(`no handler registered for ${ORDER_TOPICS.created}`);
    const ctx = new JetStreamContext([{} as JsMsg, 'bench']);
    const payload = { orderId: 'bench' };
    for (let i = 0; i < 20_000; i++) await handler(payload, ctx); // JIT warm-up
    const started = process.cpuUsage();
    for (let i = 0; i < calls; i++) await handler(payload, ctx);
    const used = process.cpuUsage(started);
    return (used.user + used.system) / calls;
  } finally {
    await app.close();
  }
}
