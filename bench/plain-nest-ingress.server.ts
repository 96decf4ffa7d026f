import 'reflect-metadata';
import { OrderCreatedDto } from '#contracts';
import { natsInboxPrefix } from '#jetstream';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Body, Controller, HttpCode, Module, Param, Post, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';

/**
 * Ingress peer: what a team writes by hand with NestJS and nats.js, no
 * library. One controller, the shared DTO through Nest's global
 * ValidationPipe, js.publish with nats.js defaults (no msgID, no retries).
 */
// Same user and inbox as the nestjet producer, so both pay the same permission checks.
const nc = await connect({ servers: process.env.NATS_URL, user: process.env.NATS_USER, pass: process.env.NATS_PASSWORD, inboxPrefix: natsInboxPrefix('producer') });
const js = jetstream(nc);

@Controller('v1/topics')
class MessagesController {
  @Post(':topic/messages')
  @HttpCode(202)
  async publish(@Param('topic') topic: string, @Body() order: OrderCreatedDto) {
    const ack = await js.publish(`${topic}.${order.region}.std`, JSON.stringify(order));
    return { stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate };
  }
}

@Module({ controllers: [MessagesController] })
class PlainModule {}

const app = await NestFactory.create<NestFastifyApplication>(PlainModule, new FastifyAdapter(), { logger: false });
app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
await app.listen(Number(process.env.PORT), '127.0.0.1');
process.stdout.write(`${JSON.stringify({ event: 'plain-nest.ready' })}\n`);
