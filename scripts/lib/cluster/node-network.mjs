import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { CLUSTER } from './layout.mjs';

function sh(cmd, args, { check = true } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (check && r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${(r.stderr || r.stdout).trim()}`);
  return r;
}

const inNode = (cmd, args, options) => sh('ip', ['netns', 'exec', CLUSTER.netns, cmd, ...args], options);

/** Runs a command in the node's network namespace (for probes of loopback-only components). */
export const nodeExec = (cmd, args) => spawnSync('nsenter', [`--net=/run/netns/${CLUSTER.netns}`, '--', cmd, ...args], { encoding: 'utf8' });

/**
 * The node's network namespace and the veth pair that joins it to the host.
 * The node gets no default route: pods, Services and the control plane reach
 * each other and the host's end of the veth, nothing else. The host routes the
 * pod and Service ranges to the node, so tests on the host reach ClusterIPs
 * (kube-proxy's rules sit in the node's PREROUTING chain). Idempotent.
 */
export function ensureNodeNetwork() {
  const { netns, hostVeth, nodeVeth, hostIp, nodeIp, vethPrefix } = CLUSTER;
  if (!existsSync(`/run/netns/${netns}`)) sh('ip', ['netns', 'add', netns]);
  if (sh('ip', ['link', 'show', hostVeth], { check: false }).status !== 0) {
    sh('ip', ['link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', nodeVeth]);
    sh('ip', ['link', 'set', nodeVeth, 'netns', netns]);
    sh('ip', ['addr', 'add', `${hostIp}/${vethPrefix}`, 'dev', hostVeth]);
    sh('ip', ['link', 'set', hostVeth, 'up']);
    inNode('ip', ['addr', 'add', `${nodeIp}/${vethPrefix}`, 'dev', nodeVeth]);
    inNode('ip', ['link', 'set', nodeVeth, 'up']);
  }
  inNode('ip', ['link', 'set', 'lo', 'up']);
  // Without a default route the node's own processes (KEDA) find no route to a
  // ClusterIP, and the kernel refuses before kube-proxy's OUTPUT DNAT could apply:
  // the Service range goes to an empty bridge (no dummy driver in this kernel), which drops what no rule rewrote.
  if (inNode('ip', ['link', 'show', 'nj-services'], { check: false }).status !== 0) inNode('ip', ['link', 'add', 'nj-services', 'type', 'bridge']);
  inNode('ip', ['link', 'set', 'nj-services', 'up']);
  inNode('ip', ['route', 'replace', CLUSTER.serviceCidr, 'dev', 'nj-services']);
  for (const [key, value] of [
    ['net.ipv4.ip_forward', '1'],
    ['net.ipv4.conf.all.route_localnet', '1'],
  ]) {
    inNode('sysctl', ['-qw', `${key}=${value}`]);
  }
  // Bridged pod traffic must pass through iptables for Service DNAT (kube-proxy's rules).
  if (existsSync('/proc/sys/net/bridge/bridge-nf-call-iptables')) writeFileSync('/proc/sys/net/bridge/bridge-nf-call-iptables', '1');
  for (const range of [CLUSTER.clusterCidr, CLUSTER.serviceCidr]) {
    sh('ip', ['route', 'replace', range, 'via', nodeIp, 'dev', hostVeth]);
  }
}

/** Deletes the node namespace (its veth end, bridge and pod interfaces go with it) and the host routes. */
export function removeNodeNetwork() {
  for (const range of [CLUSTER.clusterCidr, CLUSTER.serviceCidr]) sh('ip', ['route', 'del', range], { check: false });
  sh('ip', ['link', 'del', CLUSTER.hostVeth], { check: false });
  if (existsSync(`/run/netns/${CLUSTER.netns}`)) sh('ip', ['netns', 'del', CLUSTER.netns], { check: false });
}
