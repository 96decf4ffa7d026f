import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { buildTopology } from '#contracts';
import { JetStreamClientProxy, JetStreamModule, JetStreamRecordBuilder, natsInboxPrefix, PublishTimeoutError, type PublishResult } from '#jetstream';
import { inspect, NatsServer, provision } from '#test-support';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { unpack } from 'msgpackr';
import { lastValueFrom } from 'rxjs';

describe('JetStreamClientProxy: emit from any Nest service', () => {
  let nats: NatsServer;
  let app: INestApplicationContext;
  let client: JetStreamClientProxy;

  beforeAll(async () => {
    nats = await NatsServer.start();
    await provision(nats);
    @Module({
      imports: [
        JetStreamModule.forRoot({
          name: 'client-proxy-test',
          // A service that only emits: the producer's permissions are enough.
          connection: { servers: [nats.url], user: 'producer', pass: nats.users.passwords.producer, inboxPrefix: natsInboxPrefix('producer') },
          topology: buildTopology(),
          publisher: { deadlineMs: 1000, attemptTimeoutMs: 300 },
        }),
      ],
    })
    class AppModule {}
    app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    await app.init();
    client = app.get(JetStreamClientProxy);
  });

  afterAll(async () => {
    await app?.close();
    await nats?.dispose();
  });

  it('resolves emit() with the PubAck and deduplicates an explicit msgId', async () => {
    const payload = { orderId: 'proxy-1', customerId: 'c', amount: 1, currency: 'EUR', region: 'eu' };
    const record = new JetStreamRecordBuilder(payload).setMsgId('proxy-1').build();
    const first = await lastValueFrom(client.emit<PublishResult>('orders.created.eu.std', record));
    const again = await lastValueFrom(client.emit<PublishResult>('orders.created.eu.std', record));
    expect(first).toMatchObject({ id: 'proxy-1', stream: 'ORDERS', duplicate: false });
    expect(again).toMatchObject({ id: 'proxy-1', seq: first.seq, duplicate: true });

    const { nc, jsm } = await inspect(nats);
    const stored = await jsm.streams.getMessage('ORDERS', { seq: first.seq });
    await nc.close();
    expect(stored?.json()).toEqual(payload);
    expect(stored?.header.get('ce-type')).toBe('orders.created.v1');
  });

  it('puts a message to a declared topic on the wire like the ingress: routed subject, topic codec, CloudEvents headers', async () => {
    const cancel = { orderId: 'proxy-2', region: 'us', reason: { code: 'fraud' } };
    const sent = await lastValueFrom(client.emit<PublishResult>('orders.cancelled', cancel));
    const { nc, jsm } = await inspect(nats);
    const stored = await jsm.streams.getMessage('ORDERS', { seq: sent.seq });
    await nc.close();
    expect(stored!.subject).toBe('orders.cancelled.us.std');
    expect(stored!.header.get('content-type')).toBe('application/msgpack');
    expect(stored!.header.get('ce-type')).toBe('orders.cancelled.v2');
    expect(stored!.header.get('ce-id')).toBe(sent.id);
    expect(stored!.header.get('ce-source')).toBe('/nestjet/client-proxy-test');
    expect(unpack(stored!.data)).toEqual(cancel);
  });

  it('refuses send(): request/response is not a JetStream pattern', async () => {
    await expect(lastValueFrom(client.send('orders.created.eu.std', {}))).rejects.toThrow(/emit\(\) only/);
  });

  it('fails with PublishTimeoutError after its deadline when the broker is gone', async () => {
    await nats.stop();
    const started = Date.now();
    await expect(lastValueFrom(client.emit('orders.created.eu.std', { x: 1 }))).rejects.toBeInstanceOf(PublishTimeoutError);
    expect(Date.now() - started).toBeLessThan(3000);
    await nats.restart();
  });
});
