import { createServer } from 'node:net';

/**
 * Ports this test process handed out. The OS may give a just-released port to
 * the next `listen(0)`, so two servers started side by side (NATS and Jaeger in
 * one beforeAll) could both be told the same port and one fail to bind.
 */
const handedOut = new Set<number>();

function listenOnAnyPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A currently free TCP port on 127.0.0.1, never one this process was given before. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await listenOnAnyPort();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('no free port found that this process has not handed out already');
}
