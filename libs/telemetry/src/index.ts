export { PinoLogger } from './logging/pino.logger.js';
export { activeTraceContexts, samplingFollowsParent, serviceVersion, shutdownTracing, startTracing, tracingConfigured, tracingStartedByNestjet } from './tracing/tracing.js';
export { recordFailure, tracingActive } from './tracing/tracer.js';
export { endServerSpan, startServerSpan, type ServerRequestFacts, type ServerSpan } from './tracing/http-server.spans.js';
export { extractTraceContext, injectTraceContext, traceparentSampled } from './tracing/nats-headers.propagation.js';
export {
  startProcessSpan,
  traceDeadLetter,
  tracePublish,
  traceReplay,
  type DeadLetterSpanFacts,
  type DeliveryFacts,
  type PublishFacts,
  type ReplayFacts,
} from './tracing/messaging.spans.js';
export {
  ADVISORY_REJECTION_CHECKS,
  NestjetMetrics,
  type AdvisoryRejectionCheck,
  type BrokerStats,
  type ConsumerStats,
  type StreamStats,
} from './metrics/nestjet.metrics.js';
export type { ConsumerMetrics, ProcessOutcome, PublishOutcome, TopicMetrics } from './metrics/bound-metrics.js';
export { MetricsModule } from './metrics/metrics.module.js';
export { TelemetryModule } from './telemetry.module.js';
