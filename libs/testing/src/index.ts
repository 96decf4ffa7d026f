// The public surface of libs/testing (`#testing`): test harness for nestjet handlers; not part of any runtime image.

// A real nats-server on free loopback ports, with one user per component
export { NatsServer, type NatsServerOptions } from './nats/nats-server.js';
export { NatsEndpoint, NatsUsers, topologyFor, type TestNatsUser } from './nats/nats-users.js';
export { generateTlsFiles, tlsFilesIn, type TlsFiles } from './nats/tls-certificates.js';

// Nest's handler pipeline without a transport: what Nest registered, called directly
export { HandlersOnlyServer } from './app/handlers-only.server.js';

// Small helpers the harness is built on
export { freePort } from './support/ports.js';
export { toolPath } from './support/tool-path.js';
export { waitFor } from './support/wait.js';

// Handlers under test: NestjetTestingModule.create({ imports: [...] })
export {
  NestjetTestingApp,
  NestjetTestingModule,
  TESTING_DEFAULT_ENV,
  type NestjetTestingOptions,
  type Published,
  type TestingPublishOptions,
  type WaitForProcessedOptions,
} from './app/nestjet-testing.module.js';
