export type {
  BucketDeclaration,
  ConsumerDeclaration,
  PartitionDeclaration,
  PayloadClass,
  PayloadCodecName,
  StreamDeclaration,
  StreamSourceDeclaration,
  TopicDeclaration,
  Topology,
  TopologyOptions,
  TopicVersion,
  Upcaster,
  Upcasters,
} from './topology/topology.types.js';
export { currentVersion, eventTypeOf, parseEventType, payloadClassOf, topicVersions } from './topology/topic-version.js';
export { DEFAULT_TOPOLOGY_OPTIONS } from './topology/topology.types.js';
export { buildTopology } from './topology/topology.js';
export { filterCoversTopic, subjectFor, subjectMatches, wildcardMatches } from './topology/subject.js';
export { UnknownTopicError } from './topology/topology.errors.js';
export { consumerNameOf, partitionOf, partitionToken } from './topology/partition.js';
export { consumerGroupMembers, consumerGroupOf, consumerGroups } from './topology/consumer-group.js';
export {
  HIGH_VALUE_THRESHOLD,
  ORDER_CONSUMERS,
  ORDER_CONSUMER_GROUPS,
  ORDER_TOPICS,
  ORDERS_STREAM,
  CANCELLATION_CODES,
  CURRENCIES,
  REGIONS,
  STOCK_RESERVATIONS_BUCKET,
  type CancellationCode,
  type Region,
} from './orders/orders.constants.js';
export { OrderLineDto } from './orders/order-line.dto.js';
export { OrderValueDto } from './orders/order-value.dto.js';
export { OrderCreatedDto } from './orders/order-created.dto.js';
export { OrderPaidDto } from './orders/order-paid.dto.js';
export { CancellationReasonDto } from './orders/cancellation-reason.dto.js';
export { OrderCancelledDto } from './orders/order-cancelled.dto.js';
export { OrderCancelledV1Dto } from './orders/order-cancelled-v1.dto.js';
export { ORDER_CANCELLED_UPCASTERS } from './orders/order-cancelled.upcasters.js';
export { routeByRegionAndValue } from './orders/orders.routing.js';
export { flattenValidationErrors, summarizeFieldErrors, type FieldError } from './validation/field-error.js';
export { ValidationFailedError } from './validation/validation-failed.error.js';
export { oversizedPayloadErrors, validateTopicPayload } from './validation/topic-payload.validator.js';
export { compiledPayloadCheck, type PayloadCheck } from './validation/compiled-payload.validator.js';
export { isRfc3339, parseRfc3339 } from './validation/rfc-3339.js';
export { PAYLOAD_BOUNDS, type PayloadBounds } from './validation/payload-bounds.js';
