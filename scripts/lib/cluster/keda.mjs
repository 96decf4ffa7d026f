import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../run.mjs';
import { bin, CLUSTER, PATHS } from './layout.mjs';
import { applyObjects } from './addons.mjs';
import { kubectl } from './control-plane.mjs';
import { writeKubeconfig } from './node-config.mjs';
import { startProcess, waitUntil } from './processes.mjs';

const KEDA_NAMESPACE = 'keda';
const METRICS_SERVICE = 'keda-metrics-apiserver';

/** Where KEDA's manifests are: the pinned module in Go's module cache (tools/keda/go.mod). */
function kedaSource() {
  const out = execFileSync('go', ['list', '-m', '-f', '{{.Dir}}', 'github.com/kedacore/keda/v2'], { cwd: join(ROOT, 'tools', 'keda'), encoding: 'utf8' });
  return out.trim();
}

/** The node's resolv.conf for processes started with `ip netns exec`: cluster DNS, as a pod would have. */
export const NODE_RESOLV_DIR = `/etc/netns/${CLUSTER.netns}`;

/**
 * KEDA v2 out of cluster: the operator and its metrics API server run as node
 * processes with a kubeconfig, and an APIService with a selector-less Service and
 * Endpoints sends `external.metrics.k8s.io` to the metrics server on the node
 * address. They run under `ip netns exec`, which gives them cluster DNS (the
 * nats-jetstream scaler resolves the NATS Service names) through
 * /etc/netns/<node>/resolv.conf.
 */
export async function startKeda(certs) {
  const source = kedaSource();
  const crds = readdirSync(join(source, 'config', 'crd', 'bases')).filter((f) => f.endsWith('.yaml'));
  for (const crd of crds) kubectl(['apply', '--server-side', '--force-conflicts', '-f', join(source, 'config', 'crd', 'bases', crd)]);

  const ca = readFileSync(certs.ca.crt).toString('base64');
  applyObjects([
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: KEDA_NAMESPACE } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: METRICS_SERVICE, namespace: KEDA_NAMESPACE },
      spec: { ports: [{ name: 'https', port: 443, targetPort: CLUSTER.kedaMetricsPort }] },
    },
    {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: METRICS_SERVICE, namespace: KEDA_NAMESPACE },
      subsets: [{ addresses: [{ ip: CLUSTER.nodeIp }], ports: [{ name: 'https', port: CLUSTER.kedaMetricsPort }] }],
    },
    {
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: 'v1beta1.external.metrics.k8s.io' },
      spec: {
        service: { name: METRICS_SERVICE, namespace: KEDA_NAMESPACE, port: 443 },
        group: 'external.metrics.k8s.io',
        version: 'v1beta1',
        caBundle: ca,
        groupPriorityMinimum: 100,
        versionPriority: 100,
      },
    },
  ]);

  // KEDA reads ca.crt, tls.crt and tls.key from one directory for its gRPC link.
  const certDir = join(PATHS.config, 'keda-certs');
  mkdirSync(certDir, { recursive: true });
  copyFileSync(certs.ca.crt, join(certDir, 'ca.crt'));
  copyFileSync(certs.keda.crt, join(certDir, 'tls.crt'));
  copyFileSync(certs.keda.key, join(certDir, 'tls.key'));
  const kubeconfig = writeKubeconfig(join(PATHS.config, 'keda.kubeconfig'), certs.ca, certs.kedaClient);

  mkdirSync(NODE_RESOLV_DIR, { recursive: true });
  writeFileSync(join(NODE_RESOLV_DIR, 'resolv.conf'), `nameserver ${CLUSTER.dnsServiceIp}\nsearch ${KEDA_NAMESPACE}.svc.${CLUSTER.clusterDomain} svc.${CLUSTER.clusterDomain} ${CLUSTER.clusterDomain}\noptions ndots:5\n`);

  const env = { KUBECONFIG: kubeconfig, POD_NAMESPACE: KEDA_NAMESPACE, KEDA_CLUSTER_OBJECT_NAMESPACE: KEDA_NAMESPACE, WATCH_NAMESPACE: '' };
  const netnsExec = (name, binary, args) => startProcess(name, 'ip', ['netns', 'exec', CLUSTER.netns, bin(binary), ...args], { netns: false, env });
  netnsExec('keda-operator', 'keda-operator', [
    '--zap-log-level=info',
    '--zap-encoder=console',
    `--cert-dir=${certDir}`,
    '--enable-cert-rotation=false',
    '--enable-webhook-patching=false',
    '--enable-apiservice-patching=false',
    '--metrics-bind-address=127.0.0.1:8080',
    '--health-probe-bind-address=127.0.0.1:8081',
    `--metrics-service-bind-address=127.0.0.1:${CLUSTER.kedaGrpcPort}`,
  ]);
  netnsExec('keda-adapter', 'keda-adapter', [
    `--secure-port=${CLUSTER.kedaMetricsPort}`,
    `--bind-address=${CLUSTER.nodeIp}`,
    `--tls-cert-file=${certs.keda.crt}`,
    `--tls-private-key-file=${certs.keda.key}`,
    `--cert-dir=${certDir}`,
    `--client-ca-file=${certs.ca.crt}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    `--lister-kubeconfig=${kubeconfig}`,
    `--metrics-service-address=127.0.0.1:${CLUSTER.kedaGrpcPort}`,
    '--port=8082',
    '--zap-log-level=info',
  ]);
  await waitUntil(
    'KEDA external metrics API',
    () => kubectl(['get', 'apiservice', 'v1beta1.external.metrics.k8s.io', '-o', 'jsonpath={.status.conditions[?(@.type=="Available")].status}'], { check: false }).stdout === 'True',
    { timeoutMs: 180_000, logName: 'keda-adapter' },
  );
}

export function removeKedaResolvConf() {
  rmSync(NODE_RESOLV_DIR, { recursive: true, force: true });
}
