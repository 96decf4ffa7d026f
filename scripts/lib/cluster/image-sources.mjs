// Everything the image layers are made from, each prepared once under the cache
// directory and reused while its key is unchanged: the debootstrap root
// filesystem, the app's production files, and the static binaries of the
// small images (the node binary: node-tree.mjs).
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { once, sh } from './build-step.mjs';
import { DEBIAN } from './image-config.mjs';
import { hashOf } from './image-layout.mjs';

/** Statically linked (no loader needed in the image)? */
export function isStatic(binary) {
  const r = spawnSync('ldd', [binary], { encoding: 'utf8' });
  return /not a dynamic executable|statically linked/.test(`${r.stdout}${r.stderr}`);
}

function emptyDir(dir) {
  if (existsSync(dir)) for (const e of readdirSync(dir)) rmSync(join(dir, e), { recursive: true, force: true });
}

/** A world-writable sticky /tmp (mkdir's mode is cut by the umask). */
function tmpDir(tree) {
  mkdirSync(join(tree, 'tmp'), { recursive: true });
  chmodSync(join(tree, 'tmp'), 0o1777);
}

/** Debian root filesystem from debootstrap, trimmed of what only a running apt needs. */
export function debianRootfs(cache, log) {
  const key = hashOf(DEBIAN.suite, DEBIAN.variant, DEBIAN.include.join(','), DEBIAN.mirror);
  const dir = join(cache, `rootfs-${DEBIAN.suite}-${key}`);
  if (existsSync(dir)) return { dir, key, seconds: 0 };
  log(`debootstrap ${DEBIAN.suite} (${DEBIAN.variant}, + ${DEBIAN.include.join(', ')}) from ${DEBIAN.mirror}`);
  const started = Date.now();
  once(dir, (root) => {
    sh('nice', ['-n', '10', 'debootstrap', `--variant=${DEBIAN.variant}`, `--include=${DEBIAN.include.join(',')}`, DEBIAN.suite, root, DEBIAN.mirror]);
    // What only apt at build time needs, and the build host's resolver and name:
    // the runtime mounts its own /etc/resolv.conf and /etc/hostname.
    for (const d of ['var/lib/apt/lists', 'var/cache/apt', 'var/log', 'usr/share/man', 'usr/share/locale']) emptyDir(join(root, d));
    for (const f of ['etc/resolv.conf', 'etc/hostname']) rmSync(join(root, f), { force: true });
    tmpDir(root);
  });
  return { dir, key, seconds: Math.round((Date.now() - started) / 1000) };
}

function filesOf(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** What the runtime stage copies, as /app: production node_modules, dist/apps, dist/libs, package.json. */
export const APP_SOURCES = ['dist/apps', 'dist/libs', 'package.json'];

/**
 * The app tree, keyed on the content of everything it holds, so an unchanged
 * build reuses the app layer. Production dependencies are installed like the
 * Dockerfile's deps stage, into a cache directory keyed on the lock file.
 */
export function appTree(cache, root, log) {
  if (!existsSync(join(root, 'dist/apps/producer/src/main.js'))) throw new Error('dist/ has no producer: run `npm run build` first');
  const lock = readFileSync(join(root, 'package-lock.json'));
  const pkg = readFileSync(join(root, 'package.json'));
  // Only the lock file and the dependency list decide what npm ci installs.
  const depsKey = hashOf(lock.toString(), JSON.stringify(JSON.parse(pkg.toString()).dependencies));
  const deps = join(cache, `deps-${depsKey}`);
  if (!existsSync(deps)) log('npm ci --omit=dev --ignore-scripts (production dependencies, staged outside the repo)');
  once(deps, (dir) => {
    writeFileSync(join(dir, 'package.json'), pkg);
    writeFileSync(join(dir, 'package-lock.json'), lock);
    sh('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir });
  });
  const hashes = [];
  for (const src of APP_SOURCES) {
    const abs = join(root, src);
    for (const f of statSync(abs).isDirectory() ? filesOf(abs) : [abs]) hashes.push(`${relative(root, f)}:${hashOf(readFileSync(f).toString('base64'))}`);
  }
  const key = hashOf(depsKey, ...hashes);
  const dir = join(cache, `app-${key}`);
  once(dir, (tree) => {
    const app = join(tree, 'app');
    mkdirSync(join(app, 'dist'), { recursive: true });
    // Hard links: the deps cache and the app tree share their ~200 MB.
    sh('cp', ['-al', join(deps, 'node_modules'), join(app, 'node_modules')]);
    for (const src of APP_SOURCES) cpSync(join(root, src), join(app, src), { recursive: true });
    // Root-owned (the layer tar says so) and read-only to everyone else: nothing writes under /app.
    sh('chmod', ['-R', 'u+rwX,go+rX,go-w', app]);
  });
  // Only the current app tree and dependency set are kept; older ones are a rebuild away.
  for (const e of readdirSync(cache)) {
    if ((e.startsWith('app-') && join(cache, e) !== dir) || (e.startsWith('deps-') && join(cache, e) !== deps)) rmSync(join(cache, e), { recursive: true, force: true });
  }
  return { dir, key };
}

/** nats-server built with CGO_ENABLED=0 (the image has no libc); the pinned build is reused when already static. */
export function natsServerTree(cache, root, version, pinnedBinary) {
  const dir = join(cache, `nats-${version}`);
  once(dir, (tree) => {
    const bin = join(tree, 'usr/local/bin/nats-server');
    mkdirSync(join(tree, 'usr/local/bin'), { recursive: true });
    if (existsSync(pinnedBinary) && isStatic(pinnedBinary)) copyFileSync(pinnedBinary, bin);
    else sh('nice', ['-n', '10', 'go', 'build', '-trimpath', '-o', bin, 'github.com/nats-io/nats-server/v2'], { cwd: join(root, 'tools'), env: { ...process.env, CGO_ENABLED: '0' } });
    if (!isStatic(bin)) throw new Error(`${bin} is not static`);
    chmodSync(bin, 0o755);
    // The image's default config, as the official image has one; the chart passes its own.
    mkdirSync(join(tree, 'etc/nats'), { recursive: true });
    writeFileSync(join(tree, 'etc/nats/nats-server.conf'), 'port: 4222\nhttp_port: 8222\njetstream { store_dir: /data }\n');
    tmpDir(tree);
    mkdirSync(join(tree, 'data'));
  });
  return { dir, key: hashOf('nats', version, readFileSync(join(dir, 'etc/nats/nats-server.conf'), 'utf8')) };
}

/** /coredns with cap_net_bind_service, as the upstream Dockerfile's setcap gives it. */
export function corednsTree(cache, version, binary) {
  if (!isStatic(binary)) throw new Error(`${binary} is not static (build it with CGO_ENABLED=0: node scripts/tools.mjs coredns)`);
  const dir = join(cache, `coredns-${version}`);
  once(dir, (tree) => {
    copyFileSync(binary, join(tree, 'coredns'));
    chmodSync(join(tree, 'coredns'), 0o755);
    sh('setcap', ['cap_net_bind_service=+ep', join(tree, 'coredns')]);
    tmpDir(tree);
  });
  return { dir, key: hashOf('coredns', version, 'cap_net_bind_service') };
}

/** /pause compiled from Kubernetes' own pause.c with the flags of its Makefile. */
export function pauseTree(cache, version, kubernetesModuleDir) {
  const source = join(kubernetesModuleDir, 'build/pause/linux/pause.c');
  if (!existsSync(source)) throw new Error(`${source} is missing (is k8s.io/kubernetes in the Go module cache? go mod download in tools/kubernetes)`);
  const key = hashOf('pause', version, readFileSync(source, 'utf8'));
  const dir = join(cache, `pause-${version}-${key}`);
  once(dir, (tree) => {
    sh('gcc', ['-Os', '-Wall', '-Werror', '-static', `-DVERSION=v${version}`, '-o', join(tree, 'pause'), source]);
    sh('strip', [join(tree, 'pause')]);
  });
  return { dir, key };
}
