import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { log, ROOT, run, which } from './run.mjs';

export const TOOLS_BIN = join(ROOT, '.tools', 'bin');
export const CNI_BIN = join(ROOT, '.tools', 'cni', 'bin');

const K8S_VERSION_LDFLAGS = (v) =>
  [
    '-s -w',
    ...['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((p) => [
      `-X ${p}.gitVersion=${v}`,
      `-X ${p}.gitMajor=${v.slice(1).split('.')[0]}`,
      `-X ${p}.gitMinor=${v.split('.')[1]}`,
      `-X ${p}.gitTreeState=clean`,
    ]),
  ].join(' ');

const k8s = (cmd) => ({ pkg: `k8s.io/kubernetes/cmd/${cmd}`, module: 'k8s.io/kubernetes', dir: 'tools/kubernetes', ldflags: K8S_VERSION_LDFLAGS, group: 'cluster' });
const containerd = (pkg, module, extra = {}) => ({ pkg, module, dir: 'tools/containerd', group: 'cluster', ...extra });
const cni = (plugin) => containerd(`github.com/containernetworking/plugins/plugins/${plugin}`, 'github.com/containernetworking/plugins', { out: 'cni' });

/**
 * Infrastructure binaries pinned as Go tool dependencies, built with `go build`.
 * Each module directory resolves its own dependency graph: in one module, Go's
 * minimal version selection would lift shared packages (OpenTelemetry,
 * k8s.io/*) past what Jaeger, KEDA or Kubernetes compile with. The `cluster`
 * group is built only by `npm run cluster:up` (docs/kubernetes.md).
 */
export const TOOLS = {
  'nats-server': { pkg: 'github.com/nats-io/nats-server/v2', module: 'github.com/nats-io/nats-server/v2', dir: 'tools' },
  nats: { pkg: 'github.com/nats-io/natscli/nats', module: 'github.com/nats-io/natscli', dir: 'tools' },
  helm: { pkg: 'helm.sh/helm/v4/cmd/helm', module: 'helm.sh/helm/v4', dir: 'tools' },
  jaeger: { pkg: 'github.com/jaegertracing/jaeger/cmd/jaeger', module: 'github.com/jaegertracing/jaeger', dir: 'tools/jaeger' },
  etcd: { pkg: 'go.etcd.io/etcd/server/v3', module: 'go.etcd.io/etcd/server/v3', dir: 'tools/etcd', group: 'cluster' },
  'kube-apiserver': k8s('kube-apiserver'),
  'kube-controller-manager': k8s('kube-controller-manager'),
  'kube-scheduler': k8s('kube-scheduler'),
  kubelet: k8s('kubelet'),
  'kube-proxy': k8s('kube-proxy'),
  kubectl: k8s('kubectl'),
  containerd: containerd('github.com/containerd/containerd/v2/cmd/containerd', 'github.com/containerd/containerd/v2'),
  'containerd-shim-runc-v2': containerd('github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2', 'github.com/containerd/containerd/v2'),
  ctr: containerd('github.com/containerd/containerd/v2/cmd/ctr', 'github.com/containerd/containerd/v2'),
  // runc needs cgo and Debian's libseccomp-dev for its seccomp filters.
  runc: { pkg: 'github.com/opencontainers/runc', module: 'github.com/opencontainers/runc', dir: 'tools/runc', group: 'cluster', cgo: true, tags: 'seccomp' },
  bridge: cni('main/bridge'),
  'host-local': cni('ipam/host-local'),
  loopback: cni('main/loopback'),
  portmap: cni('meta/portmap'),
  coredns: { pkg: 'github.com/coredns/coredns', module: 'github.com/coredns/coredns', dir: 'tools/coredns', group: 'cluster' },
  'keda-operator': { pkg: 'github.com/kedacore/keda/v2/cmd/operator', module: 'github.com/kedacore/keda/v2', dir: 'tools/keda', group: 'cluster' },
  'keda-adapter': { pkg: 'github.com/kedacore/keda/v2/cmd/adapter', module: 'github.com/kedacore/keda/v2', dir: 'tools/keda', group: 'cluster' },
  'kube-router': { pkg: 'github.com/cloudnativelabs/kube-router/v2/cmd/kube-router', module: 'github.com/cloudnativelabs/kube-router/v2', dir: 'tools/kube-router', group: 'cluster' },
  umoci: { pkg: 'github.com/opencontainers/umoci/cmd/umoci', module: 'github.com/opencontainers/umoci', dir: 'tools/image', group: 'cluster' },
};

/** Tools of the default set (`npm run tools`, tests); the cluster group is opt-in. */
export const DEFAULT_TOOLS = Object.keys(TOOLS).filter((name) => !TOOLS[name].group);

/** Where a tool's binary lands: CNI plugins in a directory of their own, as containerd expects. */
export const toolDir = (name) => (TOOLS[name].out === 'cni' ? CNI_BIN : TOOLS_BIN);

export function pinnedVersion(module) {
  const tool = Object.values(TOOLS).find((t) => t.module === module);
  const gomod = readFileSync(join(ROOT, tool.dir, 'go.mod'), 'utf8');
  const m = gomod.match(new RegExp(`^\\s*${module.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} (v\\S+)`, 'm'));
  if (!m) throw new Error(`${tool.dir}/go.mod does not pin ${module}`);
  return m[1];
}

const stampOf = (name) => join(TOOLS_BIN, `.${name}.version`);

function upToDate(name) {
  const stamp = stampOf(name);
  const want = `${TOOLS[name].module}@${pinnedVersion(TOOLS[name].module)}`;
  return existsSync(join(toolDir(name), name)) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === want;
}

/**
 * Builds the named tools into .tools/bin when missing or at another version.
 * Returns name → absolute path. Without Go, a nats-server on PATH is the fallback;
 * optional tools that cannot be had are left out (the caller says what that costs).
 */
export function ensureTools(required, optional = []) {
  const paths = {};
  const go = which('go');
  for (const name of [...required, ...optional]) {
    const isRequired = required.includes(name);
    if (upToDate(name)) {
      paths[name] = join(toolDir(name), name);
      continue;
    }
    if (!go) {
      const onPath = which(name);
      const message = `Go is not installed, so ${name} ${pinnedVersion(TOOLS[name].module)} cannot be built from tools/go.mod`;
      if (onPath) {
        log(`${message}; using ${onPath} from PATH instead (version not checked)`);
        paths[name] = onPath;
        continue;
      }
      if (isRequired) throw new Error(`${message}, and no ${name} is on PATH. Install Go ≥ 1.24 (https://go.dev/dl) and retry.`);
      log(`${message}; continuing without it`);
      continue;
    }
    const version = pinnedVersion(TOOLS[name].module);
    log(`building ${name} ${version} into .tools/bin (first time only; cached by Go afterwards)`);
    mkdirSync(TOOLS_BIN, { recursive: true });
    try {
      const tool = TOOLS[name];
      mkdirSync(toolDir(name), { recursive: true });
      const flags = ['-trimpath', ...(tool.tags ? ['-tags', tool.tags] : []), ...(tool.ldflags ? ['-ldflags', tool.ldflags(version)] : [])];
      run(go, ['build', ...flags, '-o', join(toolDir(name), name), tool.pkg], {
        cwd: join(ROOT, tool.dir),
        env: { ...process.env, CGO_ENABLED: tool.cgo ? '1' : '0' },
      });
      writeFileSync(stampOf(name), `${tool.module}@${version}\n`);
      paths[name] = join(toolDir(name), name);
    } catch (err) {
      if (isRequired) throw err;
      log(`could not build ${name} (${err.message}); continuing without it`);
    }
  }
  return paths;
}
