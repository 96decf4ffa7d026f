import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AppProcess, ENTRYPOINTS, inspect, NatsServer, provision } from '#test-support';
import { StorageType } from '@nats-io/jetstream';

describe('provision command', () => {
  let nats: NatsServer;

  beforeAll(async () => {
    nats = await NatsServer.start();
  });

  afterAll(async () => {
    await nats?.dispose();
  });

  const run = async (args: string[], env: Record<string, string> = {}) => {
    const app = await AppProcess.start('provision', ENTRYPOINTS.provision, { ...nats.env('provisioner'), ...env }, undefined, undefined, args);
    return { app, exit: await app.waitForExit() };
  };

  it('creates, then leaves unchanged, then updates what changed', async () => {
    expect(await provision(nats)).toMatch(/stream\s+ORDERS\s+created[\s\S]*consumer\s+ORDERS\/fulfillment\s+created/);
    const again = await provision(nats);
    expect(again).not.toMatch(/created|updated/);
    const changed = await provision(nats, { CONSUMER_MAX_DELIVER: '9', STREAM_MAX_AGE_MS: '3600000' });
    expect(changed).toMatch(/stream\s+ORDERS\s+updated\n\s+updated max_age/);
    expect(changed).toMatch(/updated max_deliver: \d+ -> 9/);
  });

  it('reports drift it cannot update, and fails with --strict', async () => {
    const { nc, jsm } = await inspect(nats);
    await jsm.streams.delete('ORDERS');
    await jsm.streams.add({ name: 'ORDERS', subjects: ['orders.>'], storage: StorageType.Memory });
    await nc.close();
    // A small max_bytes so the in-place update fits the test server's memory store.
    const output = await provision(nats, { STREAM_MAX_BYTES: '1000000' });
    expect(output).toMatch(/DRIFT\s+storage: server has "memory", declared "file"/);
    expect((await run(['--strict'], { STREAM_MAX_BYTES: '1000000' })).exit.code).toBe(2);
  });

  it('refuses bad configuration and bad arguments with a clear message', async () => {
    const bad = await run([], { NATS_URL: 'http://nope', CONSUMER_MAX_DELIVER: 'zero' });
    expect(bad.exit.code).toBe(1);
    expect(bad.app.raw.join('\n')).toMatch(/invalid configuration[\s\S]*NATS_URL[\s\S]*CONSUMER_MAX_DELIVER \("zero"\)/);
    const args = await run(['--bogus']);
    expect(args.exit.code).toBe(64);
    expect(args.app.raw.join('\n')).toMatch(/unknown argument\(s\) --bogus/);
  });
});
