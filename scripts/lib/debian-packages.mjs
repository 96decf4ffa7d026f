import { spawnSync } from 'node:child_process';
import { log, run, which } from './run.mjs';

/**
 * The Debian packages each documented script needs, in one list:
 * `ensureScriptPackages('<npm script>')` installs what is missing (apt-get,
 * as root), so a fresh machine runs every script without a manual step.
 * test/debian-packages.spec.ts checks that every command a script (and the
 * code it loads) spawns comes from a package listed for that script, so a
 * new command cannot land without its package.
 */
// Every end-to-end test: promtool, TLS certificates, the image's ENTRYPOINT, the console in Chromium, network
// namespaces and links (ip, tc), the small-filesystem tests (mount, setcap).
const END_TO_END = ['prometheus', 'openssl', 'tini', 'chromium', 'iproute2', 'mount', 'libcap2-bin'];
// The images: debootstrap's root filesystem, Node's binary stripped and given file capabilities.
const IMAGES = ['debootstrap', 'gcc', 'libc6-dev', 'binutils', 'libcap2-bin', 'git'];
// The node: runc (cgo, seccomp), containerd, kube-proxy (iptables), kube-router (iptables, ipset), in a network
// namespace (ip, sysctl), probed with curl, its certificates made with openssl, torn down with umount and pkill;
// its images as for `image`.
const CLUSTER = [...IMAGES, 'pkg-config', 'libseccomp-dev', 'openssl', 'iproute2', 'mount', 'procps', 'curl', 'iptables', 'ipset'];

export const SCRIPT_PACKAGES = {
  test: END_TO_END,
  'test:unit': [],
  'test:integration': [],
  'test:e2e': END_TO_END,
  'test:fuzz': [],
  start: ['openssl'],
  // A 3-node cluster in network namespaces, degraded with tc; a full disk is a small mounted filesystem.
  faults: ['iproute2', 'mount'],
  soak: [],
  bench: [],
  contract: [],
  image: IMAGES,
  'cluster:up': CLUSTER,
  'cluster:down': CLUSTER,
  'test:cluster': CLUSTER,
};

/**
 * Packages every Debian system has (Essential: yes, and apt, which installs
 * the rest): listed for no script.
 */
export const BASE_PACKAGES = ['dash', 'coreutils', 'dpkg', 'tar', 'debianutils', 'util-linux', 'libc-bin', 'apt'];

/**
 * Which Debian package gives each command the scripts and tests spawn. A
 * command missing here fails test/debian-packages.spec.ts; `null` marks what
 * is not a Debian package's (Node, npm and Go come with the machine; the rest
 * is built from tools/ into .tools/bin).
 */
export const COMMAND_PACKAGES = {
  promtool: 'prometheus',
  openssl: 'openssl',
  tini: 'tini',
  chromium: 'chromium',
  ip: 'iproute2',
  tc: 'iproute2',
  nsenter: 'util-linux',
  sysctl: 'procps',
  'dpkg-query': 'dpkg',
  mount: 'mount',
  umount: 'mount',
  pkill: 'procps',
  curl: 'curl',
  iptables: 'iptables',
  ipset: 'ipset',
  debootstrap: 'debootstrap',
  gcc: 'gcc',
  strip: 'binutils',
  setcap: 'libcap2-bin',
  ldd: 'libc-bin',
  tar: 'tar',
  git: 'git',
  which: 'debianutils',
  sh: 'dash',
  nice: 'coreutils',
  chmod: 'coreutils',
  cp: 'coreutils',
  'apt-get': 'apt',
  node: null,
  npm: null,
  go: null,
};

/**
 * What the scripts need that no spawn in their code names: Playwright starts
 * Chromium, the image test runs tini inside the image, runc's build links
 * libseccomp through pkg-config, kube-proxy and kube-router call iptables and
 * ipset, debootstrap runs under `nice`.
 */
const CLUSTER_INDIRECT = ['debootstrap', 'libc6-dev', 'pkg-config', 'libseccomp-dev', 'iptables', 'ipset'];
export const INDIRECT_PACKAGES = {
  test: ['chromium', 'tini'],
  'test:e2e': ['chromium', 'tini'],
  image: ['debootstrap', 'libc6-dev'],
  'cluster:up': CLUSTER_INDIRECT,
  'test:cluster': CLUSTER_INDIRECT,
};

function installed(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${db:Status-Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() === 'installed';
}

/** Installs the Debian packages `script` needs that are missing; off Debian or not root, says what to install. */
export function ensureScriptPackages(script) {
  const wanted = SCRIPT_PACKAGES[script];
  if (!wanted) throw new Error(`no Debian package list for "${script}" (scripts/lib/debian-packages.mjs)`);
  if (wanted.length === 0) return;
  if (!which('dpkg-query')) {
    const missing = wanted.filter((pkg) => !Object.entries(COMMAND_PACKAGES).some(([cmd, p]) => p === pkg && which(cmd)));
    if (missing.length > 0) throw new Error(`not a Debian system: install the equivalents of ${missing.join(' ')}`);
    return;
  }
  const missing = wanted.filter((pkg) => !installed(pkg));
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0 || !which('apt-get')) {
    throw new Error(`missing Debian package(s) ${missing.join(' ')}: install them (as root: apt-get install ${missing.join(' ')})`);
  }
  log(`installing ${missing.join(' ')} (apt-get)`);
  run('sh', ['-c', `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${missing.join(' ')}`]);
}
