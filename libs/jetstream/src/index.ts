// The public surface of libs/jetstream; anything not listed here is internal.

// Module, connection and configuration
export { JetStreamModule } from './jetstream.module.js';
export type { JetStreamModuleOptions } from './jetstream-module.options.js';
export { JETSTREAM_MANAGER, JETSTREAM_TOPOLOGY, JETSTREAM_TRANSPORT, NATS_CONNECTION } from './jetstream.constants.js';
export { connectNats, isConnected, type NatsConnectionOptions } from './connection/nats-connection.js';
export { ConfigurationError, exitOnConfigurationError, validateEnvironment } from './config/validate-environment.js';
export { EnvBoolean, EnvList, EnvNumber, EnvNumberList } from './config/env-transforms.js';
export { JetStreamEnvironment } from './config/jetstream.environment.js';
export { LOG_LEVELS, ServiceEnvironment } from './config/service.environment.js';
export { HEADERS, type HeaderEntries } from './headers/message-headers.js';

// Security: one least-privilege NATS user per component
export {
  NATS_COMPONENTS,
  ALL_GROUPS_USER,
  allGroupsPermissions,
  consumerGroupPermissions,
  consumerGroupUser,
  groupOfUser,
  natsUsers,
  natsInboxPrefix,
  natsPermissions,
  type NatsComponent,
  type NatsUser,
  type ConsumerGroupUser,
  type NatsPermissions,
  type NatsSubjectPermission,
} from './security/nats-permissions.js';
export { natsAuthorization } from './security/nats-authorization.js';

// Topology and operations
export { JetStreamAdmin, type ReadinessReport } from './admin/jetstream.admin.js';
export { formatProvisionResults, TopologyProvisioner, type ProvisionResult } from './topology/topology.provisioner.js';
export { JetStreamHealthModule } from './health/health.module.js';

// Publishing
export { JetStreamPublisher, type PublisherOptions, type PublishOptions, type PublishResult } from './publisher/jetstream.publisher.js';
export { JetStreamClientProxy } from './publisher/jetstream.client.js';
export { JetStreamRecord, JetStreamRecordBuilder } from './publisher/jetstream-record.builder.js';
export { PublishRejectedError, PublishTimeoutError, StreamFullError } from './errors/publish.errors.js';
export { isBrokerUnavailable, isNotFound, isStreamFull } from './errors/jetstream-api.errors.js';

// Consuming
export { JetStreamPullTransport, type ConsumerBinding, type JetStreamTransportOptions } from './transport/jetstream.transport.js';
export { appPullTransport, type AppPullTransportOptions } from './transport/app-pull-transport.js';
export { consumerBindings } from './transport/consumer-bindings.js';
export { JetStreamContext } from './transport/jetstream.context.js';
export { PresenceTracker } from './presence/presence.tracker.js';
export { PRESENCE_EXPIRY_MS, presenceSubject } from './presence/presence.constants.js';
export { JetStreamHandler } from './transport/jetstream-handler.decorator.js';
export type { MessageFailure, MessageFailureHook } from './transport/message-failure.hook.js';
export { NonRetryableError, PayloadValidationError } from './errors/non-retryable.error.js';

// Dead letters
export { DeadLetterModule, type DeadLetterModuleOptions } from './dead-letter/dead-letter.module.js';
export { DeadLetterService, LIST_SCAN_LIMIT, type ReplayOptions, type ReplayResult, type SkippedReplay } from './dead-letter/dead-letter.service.js';
export { KvFailureRecorder } from './dead-letter/failure.recorder.js';
export { DirectDeadLetterHook } from './dead-letter/direct-dead-letter.hook.js';
export { DeadLetterSink, type DeadLetterCounters, type DeadLetterSource } from './dead-letter/dead-letter.sink.js';
export { DEFAULT_RECONCILE_OPTIONS, DeadLetterReconciler, type ReconcileOptions, type SweepResult } from './dead-letter/dead-letter.reconciler.js';
export { AlreadyReplayedError, DeadLetterNotFoundError, ReplayRefusedError, ReplayUnreachableError } from './dead-letter/dead-letter.errors.js';
export type { ReplayMark } from './dead-letter/replay-log.js';
export { REJECTED_HEADERS, type RejectedAdvisory } from './dead-letter/rejected-advisory.record.js';
export { DEAD_LETTER_QUERY_LIMITS, parseDeadLetterQuery, type DeadLetterFilter, type DeadLetterPage } from './dead-letter/dead-letter.query.js';
export { DLQ_HEADERS, type DeadLetter, type DeadLetterFacts, type DeadLetterListing } from './dead-letter/dead-letter.record.js';
export {
  DLQ_ADVISORY_STREAM,
  DLQ_FAILURE_BUCKET,
  DLQ_REJECTED_STREAM,
  DLQ_REJECTED_SUBJECT,
  DLQ_REPLAY_BUCKET,
  DLQ_ROUTER_DURABLE,
  DLQ_STREAM,
  REPLAY_HEADERS,
} from './dead-letter/dead-letter.constants.js';
export { DEFAULT_DEAD_LETTER_OPTIONS, withDeadLetters, type DeadLetterOptions } from './dead-letter/dead-letter.topology.js';

export { MAX_PAGE_LIMIT, parsePage, type Page } from './admin/page-query.js';

// Audit trail of admin actions: an append-only, hash-chained stream
export { AUDIT_ACTIONS, AUDIT_STREAM, AUDIT_SUBJECT_PREFIX, type AuditAction } from './audit/audit.constants.js';
export { canonicalJson, GENESIS_HASH, verifyChain, type AuditEntry, type AuditRecord, type AuditResult, type ChainProblem, type ChainVerification } from './audit/audit-chain.js';
export { parseAuditQuery, type AuditFilter } from './audit/audit.query.js';
export { AuditTrail, type AuditListing, type AuditNote, type AuditVerification } from './audit/audit.trail.js';
export { DEFAULT_AUDIT_OPTIONS, withAudit, type AuditOptions } from './audit/audit.topology.js';

// Exactly-once effects: processed-markers of idempotent handlers
export { ProcessedMarkers } from './idempotency/processed-markers.js';
export { DEFAULT_IDEMPOTENCY_HORIZON_MS, PROCESSED_BUCKET } from './idempotency/idempotency.constants.js';
export { withProcessedMarkers, type ProcessedMarkerOptions } from './idempotency/idempotency.topology.js';

// Counters shared by all processes (JetStream counter stream, ADR-49)
export { COUNTERS_PREFIX, COUNTERS_STREAM } from './counters/counter.constants.js';
export { withCounters, type CounterOptions } from './counters/counter.topology.js';
export { SharedCounters, type SharedCountersOptions, type Take } from './counters/shared-counters.js';
// Delayed delivery (the nats-server message scheduler)
export { MessageScheduler, SCHEDULE_LIST_SCAN_LIMIT, type ScheduleOwner, type ScheduleRequest, type ScheduleResult } from './schedule/message-scheduler.js';
export { RetryRescheduler } from './schedule/retry-rescheduler.js';
export { parseScheduleQuery, PRINCIPAL_ID } from './schedule/schedule.query.js';
export { SCHEDULE_ID, type PendingSchedule, type ScheduleListing } from './schedule/schedule.record.js';
export { ScheduleNotFoundError, SchedulesFullError } from './schedule/schedule.errors.js';
export { SCHEDULE_DUE_PREFIX, SCHEDULE_PENDING_PREFIX, SCHEDULES_STREAM } from './schedule/schedule.constants.js';
export { withSchedules, type ScheduleOptions } from './schedule/schedule.topology.js';
// Per-durable copies (rescheduled retries, DLQ replays) on subjects only that durable reads
export { REDELIVERY_PREFIX } from './redelivery/redelivery.constants.js';
export { originalSubject, parseRedeliverySubject, redeliveryFilter, redeliverySpace, redeliverySubject, type RedeliveryAddress } from './redelivery/redelivery-subject.js';
export { withRedelivery } from './redelivery/redelivery.topology.js';

// Contracts on the wire: CloudEvents attributes and payload codecs
export type { CloudEventAttributes } from './cloud-events/cloud-event.headers.js';
export { encodeTopicEvent, type EncodedTopicEvent, type TopicEvent } from './cloud-events/topic-event.js';
export { PAYLOAD_CODECS, type PayloadCodec } from './codec/payload-codec.js';
export { checkJsonBounds, checkMessagePackBounds, PayloadBoundsError } from './codec/payload-bounds.js';
