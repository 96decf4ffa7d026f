import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './paths.js';

// The image declarations live in the build scripts (plain .mjs, outside dist/);
// tests load that very module rather than a copy.

export interface ImageConfig {
  user: string;
  entrypoint: string[];
  cmd: string[];
  workingDir: string;
  exposedPorts: string[];
  env: Record<string, string>;
  labels?: Record<string, string>;
}

export interface ImageConfigModule {
  NODE_PACKAGE: { name: string; version: string; integrity: string };
  NESTJET_RUNTIME: ImageConfig;
  imageSpecs(facts: { version: string; revision: string; created: string; natsVersion: string; corednsVersion: string }): Record<'nestjet' | 'nats' | 'coredns' | 'pause', { ref: string; config: Required<ImageConfig> }>;
}

export const loadImageConfig = async (): Promise<ImageConfigModule> =>
  (await import(pathToFileURL(join(ROOT, 'scripts', 'lib', 'cluster', 'image-config.mjs')).href)) as ImageConfigModule;

/** An OCI image config blob's `config` in the declared shape (Env as a map, ExposedPorts as a list). */
export function fromOciConfig(config: { User?: string; Entrypoint?: string[]; Cmd?: string[]; WorkingDir?: string; ExposedPorts?: Record<string, unknown>; Env?: string[]; Labels?: Record<string, string> }): Required<ImageConfig> {
  return {
    user: config.User ?? '',
    entrypoint: config.Entrypoint ?? [],
    cmd: config.Cmd ?? [],
    workingDir: config.WorkingDir ?? '',
    exposedPorts: Object.keys(config.ExposedPorts ?? {}).sort(),
    env: Object.fromEntries((config.Env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])),
    labels: config.Labels ?? {},
  };
}
