// An OCI image layout driven with umoci: layers added as tars, config applied,
// tags as the cache (a tag named after the hash of everything below it), and the
// single-image archive that `ctr images import` names after its ref.
import { createHash } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { sh } from './build-step.mjs';

export const hashOf = (...parts) => createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 16);

/**
 * Writes an uncompressed layer tar of `dir`'s contents, owned by root, as umoci
 * raw add-layer wants it. /dev, /proc, /sys and /tmp keep their directories but
 * not their contents (debootstrap leaves device nodes there; the runtime mounts its own).
 */
export function layerTar(dir, tarPath) {
  mkdirSync(dirname(tarPath), { recursive: true });
  sh('tar', [
    '--create', '--file', tarPath, '--directory', dir,
    '--numeric-owner', '--owner=0', '--group=0', '--sort=name',
    // File capabilities live in xattrs (CoreDNS binds :53 as non-root with one).
    '--xattrs', '--xattrs-include=security.capability',
    '--exclude=./dev/*', '--exclude=./proc/*', '--exclude=./sys/*', '--exclude=./tmp/*',
    '.',
  ]);
  return tarPath;
}

export class ImageLayout {
  /** @param {string} dir layout directory; @param {string} umoci binary */
  constructor(dir, umoci) {
    this.dir = dir;
    this.umoci = umoci;
    if (!existsSync(join(dir, 'index.json'))) {
      mkdirSync(dirname(dir), { recursive: true });
      sh(umoci, ['init', '--layout', dir]);
    }
  }

  image(tag) {
    return `${this.dir}:${tag}`;
  }

  tags() {
    return sh(this.umoci, ['ls', '--layout', this.dir]).split('\n').filter(Boolean);
  }

  has(tag) {
    return this.tags().includes(tag);
  }

  /** An image with no layers and an empty config (linux/amd64, as umoci new makes it). */
  empty(tag) {
    if (!this.has(tag)) sh(this.umoci, ['new', '--image', this.image(tag)]);
    return tag;
  }

  /** `from` plus one layer from `tarPath`, saved as `tag`; the history says what it holds. */
  addLayer(from, tag, tarPath, createdBy) {
    sh(this.umoci, ['raw', 'add-layer', '--image', this.image(from), '--tag', tag, `--history.created_by=${createdBy}`, tarPath]);
    return tag;
  }

  configure(from, tag, flags, createdBy) {
    sh(this.umoci, ['config', '--image', this.image(from), '--tag', tag, `--history.created_by=${createdBy}`, ...flags]);
    return tag;
  }

  retag(from, tag) {
    sh(this.umoci, ['tag', '--image', this.image(from), tag]);
  }

  /** Drops every tag not in `keep` and the blobs nothing references any more. */
  prune(keep) {
    for (const t of this.tags()) if (!keep.includes(t)) sh(this.umoci, ['rm', '--image', this.image(t)]);
    sh(this.umoci, ['gc', '--layout', this.dir]);
  }

  descriptor(tag) {
    const index = JSON.parse(readFileSync(join(this.dir, 'index.json'), 'utf8'));
    const d = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
    if (!d) throw new Error(`${this.dir} has no tag ${tag}`);
    return d;
  }

  blobPath(digest) {
    return join(this.dir, 'blobs', ...digest.split(':'));
  }

  manifest(tag) {
    return JSON.parse(readFileSync(this.blobPath(this.descriptor(tag).digest), 'utf8'));
  }

  /**
   * Writes `tag` alone as an OCI image-layout tar whose index names it `ref`
   * (org.opencontainers.image.ref.name, which ctr keeps as is when it is a full
   * reference; io.containerd.image.name too, which containerd reads first).
   * Skipped when the archive already holds this manifest.
   */
  exportArchive(tag, ref, archive) {
    const d = this.descriptor(tag);
    const stamp = `${archive}.digest`;
    if (existsSync(archive) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === d.digest) return false;
    const manifest = this.manifest(tag);
    const stage = `${archive}.stage`;
    rmSync(stage, { recursive: true, force: true });
    mkdirSync(join(stage, 'blobs', 'sha256'), { recursive: true });
    for (const b of [d, manifest.config, ...manifest.layers]) {
      const target = join(stage, 'blobs', ...b.digest.split(':'));
      if (!existsSync(target)) linkSync(this.blobPath(b.digest), target);
    }
    writeFileSync(join(stage, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    const annotations = { 'org.opencontainers.image.ref.name': ref, 'io.containerd.image.name': ref };
    const index = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: d.mediaType, digest: d.digest, size: d.size, annotations }] };
    writeFileSync(join(stage, 'index.json'), JSON.stringify(index));
    sh('tar', ['--create', '--file', `${archive}.tmp`, '--directory', stage, '--numeric-owner', '--owner=0', '--group=0', '--sort=name', 'oci-layout', 'index.json', 'blobs']);
    renameSync(`${archive}.tmp`, archive);
    writeFileSync(stamp, `${d.digest}\n`);
    rmSync(stage, { recursive: true, force: true });
    return true;
  }
}
