import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** `ip netns` needs root (CAP_NET_ADMIN); callers skip their scenario with this reason otherwise. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root: ip netns';
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'needs the ip command (iproute2)';
  }
  return undefined;
}

/**
 * A private L2 network of `count` network namespaces on one bridge: namespace i
 * is 10.99.0.(i+1)/24 on its own veth, the root namespace is 10.99.0.254 on the
 * bridge, so clients in the root namespace reach every node. Only interfaces and
 * namespaces created here are touched; names carry a random suffix so runs never
 * collide. `cut(i)` takes namespace i's link down (nothing in or out: a
 * partition of that node from peers and clients alike), `heal(i)` brings it back.
 */
export class NetworkNamespaces {
  readonly hosts: string[];
  readonly names: string[];
  private readonly bridge: string;
  private readonly veths: string[];

  private constructor(count: number) {
    const tag = randomBytes(2).toString('hex');
    this.bridge = `njbr-${tag}`;
    this.names = Array.from({ length: count }, (_, i) => `nestjet-${tag}-${i}`);
    this.veths = Array.from({ length: count }, (_, i) => `njv-${tag}-${i}`);
    this.hosts = Array.from({ length: count }, (_, i) => `10.99.0.${i + 1}`);
  }

  static create(count: number): NetworkNamespaces {
    const net = new NetworkNamespaces(count);
    try {
      net.setUp();
    } catch (err) {
      net.dispose();
      throw err;
    }
    return net;
  }

  /** Where node i runs, for NatsCluster's `placement`. */
  get placement(): Array<{ host: string; netns: string }> {
    return this.names.map((netns, i) => ({ netns, host: this.hosts[i]! }));
  }

  private setUp(): void {
    ip('link', 'add', this.bridge, 'type', 'bridge');
    ip('addr', 'add', '10.99.0.254/24', 'dev', this.bridge);
    ip('link', 'set', this.bridge, 'up');
    this.names.forEach((ns, i) => {
      ip('netns', 'add', ns);
      ip('link', 'add', this.veths[i]!, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      ip('link', 'set', this.veths[i]!, 'master', this.bridge);
      ip('link', 'set', this.veths[i]!, 'up');
      ip('-n', ns, 'addr', 'add', `${this.hosts[i]}/24`, 'dev', 'eth0');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    });
  }

  cut(i: number): void {
    ip('link', 'set', this.veths[i]!, 'down');
  }

  heal(i: number): void {
    ip('link', 'set', this.veths[i]!, 'up');
  }

  /** Removes the namespaces (their veth pairs go with them) and the bridge; safe to call twice or after a partial set-up. */
  dispose(): void {
    for (const ns of this.names) tryIp('netns', 'del', ns);
    for (const veth of this.veths) tryIp('link', 'del', veth);
    tryIp('link', 'del', this.bridge);
  }
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function tryIp(...args: string[]): void {
  try {
    ip(...args);
  } catch {
    /* already gone */
  }
}
