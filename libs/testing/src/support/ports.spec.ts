import { afterEach, describe, expect, it } from '@jest/globals';
import { existsSync, rmSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { claimPort, freePort, PORT_CLAIM_TTL_MS, PORT_CLAIMS_DIR } from './ports.js';

// Ports no server here listens on (below 1024, never handed out by listen(0)): only their claim files are touched.
const PORTS = [3, 5, 7];
const claimFile = (port: number) => join(PORT_CLAIMS_DIR, String(port));

describe('port claims across test processes', () => {
  afterEach(() => {
    for (const port of PORTS) rmSync(claimFile(port), { force: true });
  });

  it('gives a port to the first claimant only, as another jest worker would find it taken', () => {
    expect(claimPort(3)).toBe(true);
    expect(existsSync(claimFile(3))).toBe(true);
    expect(claimPort(3)).toBe(false);
  });

  it('takes over a claim left by a run that was killed, once it is older than the TTL', () => {
    expect(claimPort(5)).toBe(true);
    const old = new Date(Date.now() - PORT_CLAIM_TTL_MS - 60_000);
    utimesSync(claimFile(5), old, old);
    expect(claimPort(5)).toBe(true);
    expect(claimPort(5)).toBe(false);
  });

  it('hands out distinct ports, each claimed', async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    expect(new Set(ports).size).toBe(20);
    for (const port of ports) expect(existsSync(claimFile(port))).toBe(true);
  });
});
