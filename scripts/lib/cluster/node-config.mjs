import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bin, CLUSTER, PATHS } from './layout.mjs';

const b64 = (file) => readFileSync(file).toString('base64');

/** A kubeconfig for one identity; `server` defaults to the node address the host and pods both reach. */
export function writeKubeconfig(file, ca, identity, server = `https://${CLUSTER.nodeIp}:${CLUSTER.apiPort}`) {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'nestjet', cluster: { server, 'certificate-authority-data': b64(ca.crt) } }],
    users: [{ name: 'nestjet', user: { 'client-certificate-data': b64(identity.crt), 'client-key-data': b64(identity.key) } }],
    contexts: [{ name: 'nestjet', context: { cluster: 'nestjet', user: 'nestjet' } }],
    'current-context': 'nestjet',
  };
  writeFileSync(file, JSON.stringify(config, null, 2), { mode: 0o600 });
  return file;
}

/**
 * containerd 2.x (config version 3) with the CRI plugin: runc through the v2 shim
 * on cgroupfs (the kernel here has cgroup v1 and no systemd), our pause image as
 * the sandbox, CNI plugins from .tools/cni/bin. Processes here lack
 * CAP_SYS_RESOURCE, so no container may get a lower oom_score_adj than
 * containerd's own (the kubelet asks -998 for sandboxes, and runc then fails
 * with "failed to update /proc/self/oom_score_adj: Permission denied").
 */
export function writeContainerdConfig() {
  const file = join(PATHS.config, 'containerd.toml');
  writeFileSync(
    file,
    `version = 3
root = ${JSON.stringify(PATHS.containerdRoot)}
state = ${JSON.stringify(PATHS.containerdState)}

[grpc]
  address = ${JSON.stringify(PATHS.containerdSocket)}

[plugins.'io.containerd.cri.v1.images']
  snapshotter = 'overlayfs'
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = 'localhost/pause:3.10'

[plugins.'io.containerd.cri.v1.runtime']
  restrict_oom_score_adj = true
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = 'runc'
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = 'io.containerd.runc.v2'
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        BinaryName = ${JSON.stringify(bin('runc'))}
        SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = [${JSON.stringify(PATHS.cniBin)}]
    conf_dir = ${JSON.stringify(PATHS.cniConf)}
`,
  );
  return file;
}

/** The bridge plugin on cni0 inside the node's namespace; host-local hands out the node's pod range. */
export function writeCniConfig() {
  mkdirSync(PATHS.cniConf, { recursive: true });
  const conflist = {
    cniVersion: '1.0.0',
    name: 'nestjet',
    plugins: [
      {
        type: 'bridge',
        bridge: 'cni0',
        isGateway: true,
        ipMasq: true,
        hairpinMode: true,
        ipam: { type: 'host-local', ranges: [[{ subnet: CLUSTER.podCidr }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: PATHS.cniIpam },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  };
  writeFileSync(join(PATHS.cniConf, '10-nestjet.conflist'), JSON.stringify(conflist, null, 2));
}

/**
 * KubeletConfiguration for this node. cgroup v1 is still accepted by the 1.34
 * kubelet (failCgroupV1 defaults to false until 1.35). Eviction thresholds are
 * low because the node shares its disk with the checkout; the pods' resolv.conf
 * upstream is a file of our own, so nothing resolves past the cluster.
 */
export function writeKubeletConfig(certs) {
  const resolv = join(PATHS.config, 'resolv.conf');
  writeFileSync(resolv, `nameserver ${CLUSTER.dnsServiceIp}\n`);
  const config = {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: CLUSTER.nodeIp,
    cgroupDriver: 'cgroupfs',
    failCgroupV1: false,
    containerRuntimeEndpoint: `unix://${PATHS.containerdSocket}`,
    authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: certs.ca.crt } },
    authorization: { mode: 'Webhook' },
    tlsCertFile: certs.kubeletServing.crt,
    tlsPrivateKeyFile: certs.kubeletServing.key,
    clusterDomain: CLUSTER.clusterDomain,
    clusterDNS: [CLUSTER.dnsServiceIp],
    resolvConf: resolv,
    failSwapOn: false,
    healthzBindAddress: '127.0.0.1',
    evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '2%', 'imagefs.available': '2%', 'nodefs.inodesFree': '2%' },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    maxPods: 110,
    serializeImagePulls: false,
  };
  const file = join(PATHS.config, 'kubelet.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}
