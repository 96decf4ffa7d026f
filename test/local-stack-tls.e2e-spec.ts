import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { freePort, ROOT, toolPath, waitFor } from '#test-support';

// `NATS_TLS=1 npm start`: the local NATS with TLS and client certificates from
// a local CA, and the connection options the apps and scripts get for it. Run
// in a temp data dir (NESTJET_DATA_DIR), the port moved off 4222.

type LocalStack = {
  prepareLocalNats(o: { tls: boolean }): Promise<{ conf: string; url: string; tls: boolean; env(c: string): Record<string, string> }>;
  localNatsOptions(c: string): Promise<{ servers: string; user: string; pass: string; tls?: { caFile: string; certFile: string; keyFile: string } }>;
};

describe('npm start with NATS_TLS=1', () => {
  const data = mkdtempSync(join(tmpdir(), 'nestjet-local-tls-'));
  let stack: LocalStack;
  let server: ChildProcess;
  let url: string;
  const log: string[] = [];

  beforeAll(async () => {
    process.env.NESTJET_DATA_DIR = data;
    stack = (await import(join(ROOT, 'scripts', 'lib', 'local-stack.mjs'))) as LocalStack;
    const nats = await stack.prepareLocalNats({ tls: true });
    expect(nats.tls).toBe(true);
    expect(nats.url).toBe('tls://127.0.0.1:4222');
    const port = await freePort();
    const conf = join(data, 'moved.conf');
    writeFileSync(conf, readFileSync(nats.conf, 'utf8').replace('listen: 127.0.0.1:4222', `listen: 127.0.0.1:${port}`).replace(/^http: .*$/m, ''));
    url = `tls://127.0.0.1:${port}`;
    server = spawn(toolPath('nats-server'), ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    server.stderr!.on('data', (b: Buffer) => log.push(b.toString()));
    await waitFor('the local TLS nats-server', () => log.join('').includes('Server is ready'), 20_000);
  });

  afterAll(() => {
    server?.kill('SIGKILL');
    delete process.env.NESTJET_DATA_DIR;
    rmSync(data, { recursive: true, force: true });
  });

  it('the apps get the CA and a client certificate; with them they connect over TLS, without the certificate the server refuses', async () => {
    const env = (await stack.prepareLocalNats({ tls: true })).env('producer');
    expect(Object.keys(env).sort()).toEqual(['NATS_PASSWORD', 'NATS_TLS_CA', 'NATS_TLS_CERT', 'NATS_TLS_KEY', 'NATS_URL', 'NATS_USER']);
    const options = await stack.localNatsOptions('producer');
    const nc = await connect({ ...options, servers: url, reconnect: false });
    try {
      expect(nc.info?.tls_required).toBe(true);
      expect(nc.info?.tls_verify).toBe(true);
    } finally {
      await nc.close();
    }
    // The right password and CA but no client certificate: refused in the TLS handshake.
    await expect(connect({ servers: url, user: 'producer', pass: options.pass, tls: { caFile: options.tls!.caFile }, reconnect: false })).rejects.toThrow();
  });
});
