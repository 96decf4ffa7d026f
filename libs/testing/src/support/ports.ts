import { closeSync, mkdirSync, openSync, statSync, unlinkSync, utimesSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

/**
 * Claims on ports across the test processes of this machine (jest runs two
 * workers): a file per port, created exclusively. A claim older than
 * PORT_CLAIM_TTL_MS is a leftover of a run that was killed; a process removes its
 * own when it exits.
 */
export const PORT_CLAIMS_DIR = join(tmpdir(), 'nestjet-test-ports');
export const PORT_CLAIM_TTL_MS = 15 * 60_000;
const claimed: string[] = [];

/** Whether this process now holds `port` against the other test processes. */
export function claimPort(port: number): boolean {
  mkdirSync(PORT_CLAIMS_DIR, { recursive: true });
  const file = join(PORT_CLAIMS_DIR, String(port));
  try {
    closeSync(openSync(file, 'wx'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    try {
      if (Date.now() - statSync(file).mtimeMs <= PORT_CLAIM_TTL_MS) return false;
      utimesSync(file, new Date(), new Date());
    } catch {
      return false;
    }
  }
  if (claimed.length === 0) process.once('exit', () => claimed.forEach((f) => unlinkQuietly(f)));
  claimed.push(file);
  return true;
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Already gone: nothing to give back.
  }
}

/** A currently free TCP port on 127.0.0.1, never one this process or another test process was given before. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await listenOnAnyPort();
    if (handedOut.has(port) || !claimPort(port)) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('no free port found that no test process has been handed already');
}
