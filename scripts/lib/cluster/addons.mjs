import { CLUSTER } from './layout.mjs';
import { kubectl } from './control-plane.mjs';
import { waitUntil } from './processes.mjs';

// As upstream's Deployment: port 53, bound by a non-root user through the image's
// file capability, which the container must keep in its bounding set.
const COREDNS_PORT = 53;

/** CoreDNS answers for cluster.local only: no `forward`, so no query leaves the cluster. */
const corefile = `.:${COREDNS_PORT} {
    errors
    health :8080
    ready :8181
    kubernetes ${CLUSTER.clusterDomain} in-addr.arpa ip6.arpa {
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    cache 30
    loop
    reload
    loadbalance
}
`;

function coreDns(image) {
  const labels = { 'k8s-app': 'kube-dns' };
  const meta = (name) => ({ name, namespace: 'kube-system', labels });
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('coredns') },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'system:coredns' },
      rules: [
        { apiGroups: [''], resources: ['endpoints', 'services', 'pods', 'namespaces'], verbs: ['list', 'watch'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'system:coredns' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:coredns' },
      subjects: [{ kind: 'ServiceAccount', name: 'coredns', namespace: 'kube-system' }],
    },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('coredns'), data: { Corefile: corefile } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('coredns'),
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: 'coredns',
            dnsPolicy: 'Default',
            priorityClassName: 'system-cluster-critical',
            securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name: 'coredns',
                image: image.ref,
                imagePullPolicy: 'Never',
                args: ['-conf', '/etc/coredns/Corefile'],
                ports: [
                  { name: 'dns', containerPort: COREDNS_PORT, protocol: 'UDP' },
                  { name: 'dns-tcp', containerPort: COREDNS_PORT, protocol: 'TCP' },
                ],
                readinessProbe: { httpGet: { path: '/ready', port: 8181 } },
                livenessProbe: { httpGet: { path: '/health', port: 8080 }, initialDelaySeconds: 10 },
                resources: { requests: { cpu: '50m', memory: '32Mi' }, limits: { memory: '128Mi' } },
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] } },
                volumeMounts: [{ name: 'config', mountPath: '/etc/coredns', readOnly: true }],
              },
            ],
            volumes: [{ name: 'config', configMap: { name: 'coredns' } }],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { ...meta('kube-dns'), annotations: { 'prometheus.io/port': '9153' } },
      spec: {
        clusterIP: CLUSTER.dnsServiceIp,
        selector: labels,
        ports: [
          { name: 'dns', port: 53, targetPort: COREDNS_PORT, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, targetPort: COREDNS_PORT, protocol: 'TCP' },
        ],
      },
    },
  ];
}

/**
 * The default StorageClass: Kubernetes' own host-path provisioner (enabled on the
 * controller manager with --enable-hostpath-provisioner), the single-node
 * provisioner that local-up-cluster.sh uses. Volumes are directories on the node.
 */
const storageClass = {
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
  provisioner: 'kubernetes.io/host-path',
  reclaimPolicy: 'Delete',
  volumeBindingMode: 'Immediate',
};

export const applyObjects = (objects) => kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) });

/** Cluster DNS and storage, waited for until CoreDNS answers. */
export async function installAddons(images) {
  applyObjects([storageClass, ...coreDns(images.coredns)]);
  await waitUntil('CoreDNS', () => kubectl(['-n', 'kube-system', 'rollout', 'status', 'deployment/coredns', '--timeout=5s'], { check: false }).status === 0, {
    timeoutMs: 180_000,
    logName: 'kubelet',
  });
}
