export * from './paths.js';
export * from './ports.js';
export * from './wait.js';
export * from './nats-server.js';
export * from './app-process.js';
export * from './system.js';
export * from './jetstream.js';
export * from './backlog.js';
