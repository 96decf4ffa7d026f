import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { log } from '../run.mjs';
import { ensureTools, TOOLS } from '../tools.mjs';
import { installAddons } from './addons.mjs';
import { clusterCerts } from './certs.mjs';
import { startControlPlane, startNetworkPolicy, startNode } from './control-plane.mjs';
import { buildImages } from './images.mjs';
import { removeKedaResolvConf, startKeda } from './keda.mjs';
import { CLUSTER, PATHS } from './layout.mjs';
import { ensureNodeNetwork, removeNodeNetwork } from './node-network.mjs';
import { pidOf, stopProcess } from './processes.mjs';

/** Start order; `cluster:down` stops in reverse. */
const COMPONENTS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'containerd', 'kubelet', 'kube-proxy', 'kube-router', 'keda-operator', 'keda-adapter'];

const timed = async (what, fn) => {
  const started = Date.now();
  const result = await fn();
  log(`${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result;
};

/**
 * `npm run cluster:up`: builds what is missing (binaries from the pinned tool
 * modules, images), then starts a single-node Kubernetes with KEDA and leaves it
 * running. Idempotent: running components are kept, built artefacts reused.
 */
export async function clusterUp() {
  if (process.getuid?.() !== 0) throw new Error('cluster:up needs root (network namespaces, mounts, cgroups)');
  const started = Date.now();
  await timed('tools', () => ensureTools(Object.keys(TOOLS).filter((name) => TOOLS[name].group === 'cluster')));
  const images = await timed('images', () => buildImages({ log }));
  ensureNodeNetwork();
  const certs = clusterCerts(PATHS.certs, { nodeName: CLUSTER.nodeName, nodeIp: CLUSTER.nodeIp, serviceIp: CLUSTER.apiServiceIp });
  await timed('control plane', () => startControlPlane(certs));
  const importImages = async (ctr) => {
    for (const image of Object.values(images)) {
      const r = ctr(['images', 'import', image.archive]);
      if (r.status !== 0) throw new Error(`ctr images import ${image.archive}: ${r.stderr.trim()}`);
    }
  };
  await timed('node', () => startNode(certs, { importImages }));
  await timed('network policies (kube-router)', () => startNetworkPolicy(certs));
  await timed('CoreDNS and storage', () => installAddons(images));
  await timed('KEDA', () => startKeda(certs));
  log(`cluster up in ${((Date.now() - started) / 1000).toFixed(0)} s; KUBECONFIG=${PATHS.kubeconfig}`);
  return { images, kubeconfig: PATHS.kubeconfig };
}

/** Unmounts everything under `dir`, deepest first (the kubelet's volumes, containerd's rootfs mounts). */
function unmountUnder(dir) {
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1])
    .filter((m) => m && (m === dir || m.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) spawnSync('umount', ['-l', m]);
}

/** Stops every component and every container, removes the node's network and the cluster's state (not the built tools and images). */
export async function clusterDown() {
  for (const name of [...COMPONENTS].reverse()) await stopProcess(name);
  // Containers outlive containerd (their shims are re-parented): stop them by their shims.
  spawnSync('pkill', ['-KILL', '-f', `containerd-shim-runc-v2 -namespace k8s.io`]);
  for (const dir of [PATHS.kubelet, PATHS.containerdRoot, PATHS.containerdState, PATHS.run, '/run/netns']) unmountUnder(dir);
  for (const ns of existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => n.startsWith('cni-')) : []) spawnSync('ip', ['netns', 'del', ns]);
  removeNodeNetwork();
  removeKedaResolvConf();
  for (const dir of [PATHS.etcd, PATHS.kubelet, PATHS.containerdRoot, PATHS.run, join(PATHS.state, 'cni'), '/tmp/hostpath_pv']) rmSync(dir, { recursive: true, force: true });
  log('cluster down');
}

export const clusterStatus = () => Object.fromEntries(COMPONENTS.map((name) => [name, pidOf(name)]));
