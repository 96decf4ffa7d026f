// The node binary of the images (and of `npm run bench`'s Node 22), from the pinned npm package.
import { chmodSync, copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { once, sh } from './build-step.mjs';
import { NODE_PACKAGE } from './image-config.mjs';
import { hashOf } from './image-layout.mjs';

/** The node binary from the pinned npm package, laid out as /usr/local/bin/node (npm is not shipped: nothing runs it). */
export function nodeTree(cache) {
  const dir = join(cache, `node-${NODE_PACKAGE.version}`);
  once(dir, (tree) => {
    const download = join(tree, '..', `${NODE_PACKAGE.name}-download`);
    rmSync(download, { recursive: true, force: true });
    mkdirSync(download, { recursive: true });
    // npm pack checks the tarball against the registry's integrity; compare it with the pin too.
    const [packed] = JSON.parse(sh('npm', ['pack', `${NODE_PACKAGE.name}@${NODE_PACKAGE.version}`, '--json', '--pack-destination', download], { cwd: download }));
    if (packed.integrity !== NODE_PACKAGE.integrity) throw new Error(`${NODE_PACKAGE.name}@${NODE_PACKAGE.version} integrity ${packed.integrity} differs from the pin ${NODE_PACKAGE.integrity}`);
    sh('tar', ['-xzf', join(download, packed.filename), '-C', download, 'package/bin/node', 'package/LICENSE']);
    mkdirSync(join(tree, 'usr/local/bin'), { recursive: true });
    mkdirSync(join(tree, 'usr/local/share/doc/node'), { recursive: true });
    copyFileSync(join(download, 'package/bin/node'), join(tree, 'usr/local/bin/node'));
    chmodSync(join(tree, 'usr/local/bin/node'), 0o755);
    copyFileSync(join(download, 'package/LICENSE'), join(tree, 'usr/local/share/doc/node/LICENSE'));
    rmSync(download, { recursive: true, force: true });
  });
  return { dir, key: hashOf(NODE_PACKAGE.name, NODE_PACKAGE.version, NODE_PACKAGE.integrity) };
}
