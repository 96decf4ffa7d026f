export * from './paths.js';
// The NATS server, its users, ports and polling live in libs/testing (#testing), the one home they share with NestjetTestingModule.
export {
  freePort,
  generateTlsFiles,
  NatsEndpoint,
  NatsServer,
  NatsUsers,
  tlsFilesIn,
  toolPath,
  topologyFor,
  waitFor,
  type NatsServerOptions,
  type TlsFiles,
} from '#testing';
export * from './app-process.js';
export * from './system.js';
export * from './api-keys.js';
export * from './jwks.js';
export * from './bad-requests.js';
export * from './jetstream.js';
export * from './backlog.js';
export * from './dead-letters.js';
export * from './helm.js';
export * from './nats-cluster.js';
export * from './jaeger.js';
export * from './traced-system.js';
export * from './jaeger-config.js';
export * from './prometheus.js';
export * from './network-namespaces.js';
export * from './small-filesystem.js';
export * from './keda-scaler.js';
export * from './dockerfile.js';
export * from './image-config.js';
export * from './oci-image.js';
export * from './paced-load.js';
export * from './process-memory.js';
export * from './property-runs.js';
export * from './browser.js';
export * from './console-page.js';
export * from './broker.js';
export * from './ops-cli.js';
export * from './schemathesis.js';
export * from './hostile-payloads.js';
