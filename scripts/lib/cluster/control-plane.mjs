import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { bin, CLUSTER, PATHS } from './layout.mjs';
import { writeContainerdConfig, writeCniConfig, writeKubeconfig, writeKubeletConfig } from './node-config.mjs';
import { nodeExec } from './node-network.mjs';
import { startProcess, waitUntil } from './processes.mjs';

/** kubectl as the cluster admin; throws with kubectl's own message on failure. */
export function kubectl(args, { input, check = true } = {}) {
  const r = spawnSync(bin('kubectl'), ['--kubeconfig', PATHS.kubeconfig, ...args], { encoding: 'utf8', input, maxBuffer: 64 << 20 });
  if (check && r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${(r.stderr || r.stdout).trim()}`);
  return r;
}

/** etcd, kube-apiserver, kube-controller-manager and kube-scheduler, each waited for before the next. */
export async function startControlPlane(certs) {
  mkdirSync(PATHS.config, { recursive: true });
  const kubeconfigs = {
    admin: writeKubeconfig(PATHS.kubeconfig, certs.ca, certs.admin),
    controllerManager: writeKubeconfig(join(PATHS.config, 'controller-manager.kubeconfig'), certs.ca, certs.controllerManager),
    scheduler: writeKubeconfig(join(PATHS.config, 'scheduler.kubeconfig'), certs.ca, certs.scheduler),
  };

  startProcess('etcd', bin('etcd'), [
    '--name=nestjet-node',
    `--data-dir=${PATHS.etcd}`,
    '--listen-client-urls=http://127.0.0.1:2379',
    '--advertise-client-urls=http://127.0.0.1:2379',
    '--listen-peer-urls=http://127.0.0.1:2380',
    '--initial-advertise-peer-urls=http://127.0.0.1:2380',
    '--initial-cluster=nestjet-node=http://127.0.0.1:2380',
    '--listen-metrics-urls=http://127.0.0.1:2381',
    '--log-level=warn',
  ]);
  await waitUntil('etcd', () => nodeExec('curl', ['-sf', 'http://127.0.0.1:2379/health']).stdout.includes('"health":"true"'), { logName: 'etcd' });

  startProcess('kube-apiserver', bin('kube-apiserver'), [
    '--etcd-servers=http://127.0.0.1:2379',
    `--advertise-address=${CLUSTER.nodeIp}`,
    `--secure-port=${CLUSTER.apiPort}`,
    `--service-cluster-ip-range=${CLUSTER.serviceCidr}`,
    `--client-ca-file=${certs.ca.crt}`,
    `--tls-cert-file=${certs.apiserver.crt}`,
    `--tls-private-key-file=${certs.apiserver.key}`,
    `--kubelet-client-certificate=${certs.apiserverKubeletClient.crt}`,
    `--kubelet-client-key=${certs.apiserverKubeletClient.key}`,
    `--kubelet-certificate-authority=${certs.ca.crt}`,
    '--kubelet-preferred-address-types=InternalIP',
    `--service-account-issuer=https://kubernetes.default.svc.${CLUSTER.clusterDomain}`,
    `--service-account-key-file=${certs.serviceAccount.pub}`,
    `--service-account-signing-key-file=${certs.serviceAccount.key}`,
    '--authorization-mode=Node,RBAC',
    '--enable-admission-plugins=NodeRestriction',
    '--allow-privileged=true',
    // The aggregation layer, for KEDA's external metrics API.
    `--requestheader-client-ca-file=${certs.frontProxyCa.crt}`,
    '--requestheader-allowed-names=front-proxy-client',
    '--requestheader-username-headers=X-Remote-User',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    `--proxy-client-cert-file=${certs.frontProxyClient.crt}`,
    `--proxy-client-key-file=${certs.frontProxyClient.key}`,
    // KEDA's metrics server runs on the node, not in a pod: call its endpoint directly.
    '--enable-aggregator-routing=true',
    '--profiling=false',
  ]);
  await waitUntil('kube-apiserver', () => kubectl(['get', '--raw', '/readyz'], { check: false }).stdout.trim() === 'ok', { logName: 'kube-apiserver' });

  startProcess('kube-controller-manager', bin('kube-controller-manager'), [
    `--kubeconfig=${kubeconfigs.controllerManager}`,
    `--authentication-kubeconfig=${kubeconfigs.controllerManager}`,
    `--authorization-kubeconfig=${kubeconfigs.controllerManager}`,
    '--bind-address=127.0.0.1',
    `--service-account-private-key-file=${certs.serviceAccount.key}`,
    `--root-ca-file=${certs.ca.crt}`,
    `--cluster-signing-cert-file=${certs.ca.crt}`,
    `--cluster-signing-key-file=${certs.ca.key}`,
    '--use-service-account-credentials=true',
    `--service-cluster-ip-range=${CLUSTER.serviceCidr}`,
    `--cluster-cidr=${CLUSTER.clusterCidr}`,
    // The node's spec.podCIDR (10.244.0.0/24, the bridge's range): kube-router reads it.
    '--allocate-node-cidrs=true',
    '--node-cidr-mask-size=24',
    // Kubernetes' single-node volume provisioner (directories under /tmp/hostpath_pv), see addons.mjs.
    '--enable-hostpath-provisioner=true',
    '--leader-elect=false',
  ]);
  startProcess('kube-scheduler', bin('kube-scheduler'), [
    `--kubeconfig=${kubeconfigs.scheduler}`,
    `--authentication-kubeconfig=${kubeconfigs.scheduler}`,
    `--authorization-kubeconfig=${kubeconfigs.scheduler}`,
    '--bind-address=127.0.0.1',
    '--leader-elect=false',
  ]);
  await waitUntil('kube-controller-manager', () => nodeExec('curl', ['-sfk', 'https://127.0.0.1:10257/healthz']).stdout === 'ok', { logName: 'kube-controller-manager' });
  await waitUntil('kube-scheduler', () => nodeExec('curl', ['-sfk', 'https://127.0.0.1:10259/healthz']).stdout === 'ok', { logName: 'kube-scheduler' });
}

/** containerd, the kubelet and kube-proxy: the node itself. */
export async function startNode(certs, { importImages }) {
  mkdirSync(PATHS.containerdRoot, { recursive: true });
  writeCniConfig();
  const env = { PATH: `${PATHS.bin}:${process.env.PATH}` };
  startProcess('containerd', bin('containerd'), ['--config', writeContainerdConfig()], { env });
  const ctr = (args) => spawnSync(bin('ctr'), ['--address', PATHS.containerdSocket, '--namespace', 'k8s.io', ...args], { encoding: 'utf8' });
  await waitUntil('containerd', () => ctr(['version']).status === 0, { logName: 'containerd' });
  await importImages(ctr);

  const kubeletKubeconfig = writeKubeconfig(join(PATHS.config, 'kubelet.kubeconfig'), certs.ca, certs.kubelet);
  startProcess(
    'kubelet',
    bin('kubelet'),
    [
      `--config=${writeKubeletConfig(certs)}`,
      `--kubeconfig=${kubeletKubeconfig}`,
      `--root-dir=${PATHS.kubelet}`,
      `--hostname-override=${CLUSTER.nodeName}`,
      `--node-ip=${CLUSTER.nodeIp}`,
      '--v=1',
    ],
    { env },
  );
  await waitUntil(
    'node Ready',
    () => kubectl(['get', 'node', CLUSTER.nodeName, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'], { check: false }).stdout === 'True',
    { logName: 'kubelet', timeoutMs: 180_000 },
  );

  const proxyKubeconfig = writeKubeconfig(join(PATHS.config, 'kube-proxy.kubeconfig'), certs.ca, certs.kubeProxy);
  startProcess('kube-proxy', bin('kube-proxy'), [
    `--kubeconfig=${proxyKubeconfig}`,
    `--hostname-override=${CLUSTER.nodeName}`,
    '--proxy-mode=iptables',
    `--cluster-cidr=${CLUSTER.clusterCidr}`,
    // The node's namespace cannot change the host-wide conntrack table size.
    '--conntrack-max-per-core=0',
    '--metrics-bind-address=127.0.0.1:10249',
    '--healthz-bind-address=127.0.0.1:10256',
  ]);
  await waitUntil('kube-proxy', () => nodeExec('curl', ['-sf', 'http://127.0.0.1:10256/healthz']).status === 0, { logName: 'kube-proxy' });
}

/**
 * kube-router's network policy controller only (no routing, no service proxy, no
 * CNI config of its own): the bridge plugin connects pods but enforces no
 * NetworkPolicy; kube-router turns policies into iptables and ipset rules on the
 * node, bridged traffic included.
 */
export async function startNetworkPolicy(certs) {
  kubectl(['apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRole',
          metadata: { name: 'system:kube-router' },
          rules: [
            { apiGroups: [''], resources: ['namespaces', 'pods', 'services', 'nodes', 'endpoints'], verbs: ['get', 'list', 'watch'] },
            { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['get', 'list', 'watch'] },
            { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
          ],
        },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRoleBinding',
          metadata: { name: 'system:kube-router' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:kube-router' },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'system:kube-router' }],
        },
      ],
    }),
  });
  const kubeconfig = writeKubeconfig(join(PATHS.config, 'kube-router.kubeconfig'), certs.ca, certs.kubeRouter);
  startProcess('kube-router', bin('kube-router'), [
    `--kubeconfig=${kubeconfig}`,
    `--hostname-override=${CLUSTER.nodeName}`,
    '--run-firewall=true',
    '--run-router=false',
    '--run-service-proxy=false',
    '--enable-cni=false',
    `--service-cluster-ip-range=${CLUSTER.serviceCidr}`,
    '--health-port=20244',
  ]);
  await waitUntil('kube-router', () => nodeExec('curl', ['-sf', 'http://127.0.0.1:20244/healthz']).status === 0, { logName: 'kube-router' });
}
