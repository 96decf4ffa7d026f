export * from './logging/pino.logger.js';
export * from './tracing/tracing.js';
export * from './tracing/tracer.js';
export * from './tracing/messaging.attributes.js';
export * from './tracing/nats-headers.propagation.js';
export * from './metrics/nestjet.metrics.js';
export * from './telemetry.module.js';
