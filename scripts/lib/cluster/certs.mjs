import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../run.mjs';

const DAYS = '3650';

function openssl(args, cwd) {
  run('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA key and self-signed certificate, kept when present so a second `cluster:up` reuses them. */
function ca(dir, name, subject) {
  const key = join(dir, `${name}.key`);
  const crt = join(dir, `${name}.crt`);
  if (!existsSync(crt)) {
    openssl(['genrsa', '-out', key, '2048'], dir);
    openssl(['req', '-x509', '-new', '-key', key, '-days', DAYS, '-subj', subject, '-out', crt], dir);
  }
  return { key, crt };
}

/** A leaf certificate signed by `authority`: client (CN = user, O = group) and/or server (SANs). */
function leaf(dir, name, authority, { cn, org, sans = [], usage }) {
  const key = join(dir, `${name}.key`);
  const crt = join(dir, `${name}.crt`);
  if (existsSync(crt)) return { key, crt };
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  const subject = `/CN=${cn}${org ? `/O=${org}` : ''}`;
  const lines = ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', `extendedKeyUsage=${usage}`];
  if (sans.length > 0) lines.push(`subjectAltName=${sans.map((s) => (/^[\d.]+$/.test(s) ? `IP:${s}` : `DNS:${s}`)).join(',')}`);
  writeFileSync(ext, `${lines.join('\n')}\n`);
  openssl(['genrsa', '-out', key, '2048'], dir);
  openssl(['req', '-new', '-key', key, '-subj', subject, '-out', csr], dir);
  openssl(['x509', '-req', '-in', csr, '-CA', authority.crt, '-CAkey', authority.key, '-CAcreateserial', '-days', DAYS, '-extfile', ext, '-out', crt], dir);
  return { key, crt };
}

/**
 * Every certificate the control plane, the node and KEDA need, generated with
 * openssl under `dir`. Identities follow Kubernetes' conventions (CN is the user,
 * O the group) so RBAC's built-in bindings apply: system:masters for the admin,
 * system:nodes for the kubelet, the system:kube-* users for the controllers.
 */
export function clusterCerts(dir, { nodeName, nodeIp, serviceIp }) {
  mkdirSync(dir, { recursive: true });
  const root = ca(dir, 'ca', '/CN=nestjet-cluster-ca');
  const frontProxy = ca(dir, 'front-proxy-ca', '/CN=nestjet-front-proxy-ca');
  const apiSans = ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'localhost', '127.0.0.1', nodeIp, serviceIp];
  const client = (name, cn, org) => leaf(dir, name, root, { cn, org, usage: 'clientAuth' });
  const serviceAccountKey = join(dir, 'service-account.key');
  const serviceAccountPub = join(dir, 'service-account.pub');
  if (!existsSync(serviceAccountPub)) {
    openssl(['genrsa', '-out', serviceAccountKey, '2048'], dir);
    openssl(['rsa', '-in', serviceAccountKey, '-pubout', '-out', serviceAccountPub], dir);
  }
  return {
    ca: root,
    frontProxyCa: frontProxy,
    apiserver: leaf(dir, 'apiserver', root, { cn: 'kube-apiserver', sans: apiSans, usage: 'serverAuth' }),
    apiserverKubeletClient: client('apiserver-kubelet-client', 'kube-apiserver-kubelet-client', 'system:masters'),
    frontProxyClient: leaf(dir, 'front-proxy-client', frontProxy, { cn: 'front-proxy-client', usage: 'clientAuth' }),
    admin: client('admin', 'nestjet-admin', 'system:masters'),
    controllerManager: client('controller-manager', 'system:kube-controller-manager'),
    scheduler: client('scheduler', 'system:kube-scheduler'),
    kubeProxy: client('kube-proxy', 'system:kube-proxy'),
    kubeRouter: client('kube-router', 'system:kube-router'),
    kubelet: client('kubelet', `system:node:${nodeName}`, 'system:nodes'),
    kubeletServing: leaf(dir, 'kubelet-serving', root, { cn: nodeName, sans: [nodeName, nodeIp, '127.0.0.1'], usage: 'serverAuth' }),
    // One certificate for KEDA's metrics API server (which the API server's aggregator
    // calls) and for the gRPC link between the KEDA operator and that server.
    keda: leaf(dir, 'keda-tls', root, {
      cn: 'keda-metrics-apiserver.keda.svc',
      sans: ['keda-metrics-apiserver.keda.svc', 'keda-operator.keda.svc', 'localhost', '127.0.0.1', nodeIp],
      usage: 'serverAuth,clientAuth',
    }),
    kedaClient: client('keda', 'nestjet-keda', 'system:masters'),
    serviceAccount: { key: serviceAccountKey, pub: serviceAccountPub },
  };
}
