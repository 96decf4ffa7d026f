/** OpenTelemetry messaging semantic conventions, with nats-specific names under `messaging.nats.*`. */
export const MESSAGING = {
  system: 'messaging.system',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  destination: 'messaging.destination.name',
  consumerGroup: 'messaging.consumer.group.name',
  messageId: 'messaging.message.id',
  bodySize: 'messaging.message.body.size',
  stream: 'messaging.nats.stream',
  sequence: 'messaging.nats.sequence',
  deliveryCount: 'messaging.nats.message.delivery_count',
} as const;

export const TRACER_NAME = 'nestjet';
