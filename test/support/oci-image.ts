import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { toolPath } from '#testing';

// An OCI image archive as containerd would receive it, opened without a
// cluster: its index and config read straight from the tar, its layers unpacked
// by umoci into a runtime bundle that runc runs.

interface Descriptor { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }
export interface OciImageConfig { User?: string; Entrypoint?: string[]; Cmd?: string[]; WorkingDir?: string; ExposedPorts?: Record<string, unknown>; Env?: string[]; Labels?: Record<string, string> }

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}: ${r.stderr}`);
  return r.stdout;
}

const member = (archive: string, path: string) => sh('tar', ['-xOf', archive, path]);
const blob = (archive: string, digest: string) => JSON.parse(member(archive, `blobs/${digest.replace(':', '/')}`)) as Record<string, unknown>;

/** index.json, the one manifest and its image config, read from the archive itself. */
export function readOciArchive(archive: string) {
  const index = JSON.parse(member(archive, 'index.json')) as { manifests: Descriptor[] };
  const [descriptor] = index.manifests;
  const manifest = blob(archive, descriptor!.digest) as { config: Descriptor; layers: Descriptor[] };
  const image = blob(archive, manifest.config.digest) as { architecture: string; os: string; config: OciImageConfig; rootfs: { diff_ids: string[] }; history?: { created_by?: string }[] };
  return { index, manifest, image };
}

/** Unpacks the archive's image (named `ref` in its index) into an OCI runtime bundle under `dir`. */
export function unpackOciArchive(archive: string, ref: string, dir: string): string {
  const layout = join(dir, 'layout');
  const bundle = join(dir, 'bundle');
  mkdirSync(layout, { recursive: true });
  sh('tar', ['-xf', archive, '-C', layout]);
  sh(toolPath('umoci'), ['unpack', '--image', `${layout}:${ref}`, bundle]);
  return bundle;
}

export interface BundleRun {
  id: string;
  child: ChildProcess;
  lines: string[];
  exit: Promise<number | null>;
  signal(sig: 'TERM' | 'INT' | 'KILL'): void;
  dispose(): void;
}

export interface BundleOptions {
  /** Replaces the image's ENTRYPOINT + CMD. */
  args?: string[];
  env?: Record<string, string>;
  /** Share the host's network namespace (to reach a server on loopback). */
  hostNetwork?: boolean;
  /** Read-only root with a tmpfs /tmp, as the chart's pods run. */
  readOnlyRoot?: boolean;
}

const runc = () => process.env.RUNC ?? toolPath('runc');
let runs = 0;

/**
 * Runs the bundle with runc in the foreground, stdout and stderr collected by
 * line. The process's user, cwd and env are the image's (umoci wrote them); no
 * terminal; capabilities as containerd gives them: no ambient set (umoci's
 * default has one, which would hand a non-root process the capabilities its
 * binary must carry itself) and no_new_privs off, Kubernetes' default.
 */
export function runBundle(bundle: string, stateRoot: string, options: BundleOptions = {}): BundleRun {
  // Each run gets a bundle directory of its own (runc reads config.json from it)
  // over the one unpacked root filesystem, so runs of one image can overlap.
  const id = `nestjet-image-test-${process.pid}-${++runs}`;
  const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  spec.root.path = join(bundle, 'rootfs');
  spec.process.terminal = false;
  spec.process.noNewPrivileges = false;
  spec.process.capabilities.ambient = [];
  if (options.args) spec.process.args = options.args;
  spec.process.env = [...spec.process.env.filter((e: string) => !(e.split('=')[0]! in (options.env ?? {}))), ...Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`)];
  if (options.hostNetwork) spec.linux.namespaces = spec.linux.namespaces.filter((n: { type: string }) => n.type !== 'network');
  spec.root.readonly = options.readOnlyRoot ?? false;
  if (options.readOnlyRoot) spec.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] });
  const runBundleDir = join(dirname(bundle), id);
  mkdirSync(runBundleDir);
  writeFileSync(join(runBundleDir, 'config.json'), JSON.stringify(spec));

  const child = spawn(runc(), ['--root', stateRoot, 'run', '--bundle', runBundleDir, id], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
  createInterface({ input: child.stderr! }).on('line', (l) => lines.push(l));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    id,
    child,
    lines,
    exit,
    signal: (sig) => void spawnSync(runc(), ['--root', stateRoot, 'kill', id, sig]),
    dispose: () => void spawnSync(runc(), ['--root', stateRoot, 'delete', '--force', id]),
  };
}

/** Runs to completion (killed after `timeoutMs`, so a run that should have ended cannot hang a test) and returns the exit code and output. */
export async function runBundleToEnd(bundle: string, stateRoot: string, options: BundleOptions, timeoutMs = 60_000): Promise<{ code: number | null; output: string }> {
  const run = runBundle(bundle, stateRoot, options);
  const timer = setTimeout(() => run.signal('KILL'), timeoutMs);
  const code = await run.exit;
  clearTimeout(timer);
  run.dispose();
  return { code, output: run.lines.join('\n') };
}
