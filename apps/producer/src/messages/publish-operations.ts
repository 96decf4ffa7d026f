import { eventTypeOf, topicVersions, type TopicDeclaration } from '#contracts';
import { getSchemaPath, type OpenAPIObject } from '@nestjs/swagger';
import { IDEMPOTENCY_KEY } from './idempotency.js';
import { MEDIA_TYPES } from './publish-media-types.js';
import { CLOUD_EVENT_LIMITS, EXTENSION_NAME, MAX_EVENT_ATTRIBUTES } from './structured-event.js';

const SINGLE = '/v1/topics/{topic}/messages';
const BATCH = '/v1/topics/{topic}/messages/batch';

type Operation = Record<string, unknown> & { parameters?: { name: string; in: string }[] };

const text = (max: number) => ({ type: 'string', minLength: 1, maxLength: max });

/** A structured CloudEvent of one payload version: what structuredEvent() accepts, no more, no less. */
function cloudEventSchema(topic: TopicDeclaration, version: number, payloadRef: string): Record<string, unknown> {
  return {
    type: 'object',
    required: ['specversion', 'id', 'source', 'type', 'data'],
    properties: {
      specversion: { type: 'string', enum: ['1.0'] },
      id: text(CLOUD_EVENT_LIMITS.id),
      source: { ...text(CLOUD_EVENT_LIMITS.source), description: 'URI reference naming the producer' },
      type: { type: 'string', enum: [eventTypeOf(topic.name, version)], description: 'The topic and the payload version' },
      time: { type: 'string', format: 'date-time', description: 'RFC 3339 with a time zone' },
      subject: text(CLOUD_EVENT_LIMITS.subject),
      datacontenttype: { type: 'string', enum: ['application/json'] },
      dataschema: { type: 'string', description: "Ignored: the stored event links to this ingress's schema of the version" },
      data: { $ref: payloadRef },
    },
    // Anything else is an extension attribute (a ce-<name> header on the stored message).
    propertyNames: { pattern: EXTENSION_NAME.source },
    maxProperties: MAX_EVENT_ATTRIBUTES,
    additionalProperties: {
      oneOf: [
        { type: 'string', maxLength: CLOUD_EVENT_LIMITS.extensionValue },
        { type: 'integer', minimum: -(2 ** 31), maximum: 2 ** 31 - 1 },
        { type: 'boolean' },
      ],
    },
  };
}

function oneOrOneOf(schemas: Record<string, unknown>[]): Record<string, unknown> {
  return schemas.length === 1 ? schemas[0]! : { oneOf: schemas };
}

/**
 * Replaces the generic publish routes in the document with one operation per
 * topic, so that each body schema is exactly that topic's DTO (a generated
 * client cannot send one topic's payload to another) and every media type is
 * described: the payload as JSON or MessagePack (the current version), a
 * structured CloudEvent (any version, named by its type), and the batch forms.
 */
export function documentPublishOperations(document: OpenAPIObject, topics: readonly TopicDeclaration[], batchMaxMessages: number): void {
  const paths = document.paths as Record<string, Record<string, Operation>>;
  const single = paths[SINGLE]?.post;
  const batch = paths[BATCH]?.post;
  if (!single || !batch) throw new Error(`the document has no ${SINGLE} or ${BATCH} operation to document per topic`);
  delete paths[SINGLE];
  delete paths[BATCH];
  const withoutTopic = (op: Operation) => (op.parameters ?? []).filter((p) => !(p.in === 'path' && p.name === 'topic'));
  for (const topic of topics) {
    const payload = { $ref: getSchemaPath(topic.payload) };
    const events = oneOrOneOf(topicVersions(topic).map((v) => cloudEventSchema(topic, v.version, getSchemaPath(v.payload))));
    const item = {
      type: 'object',
      required: ['payload'],
      additionalProperties: false,
      properties: {
        idempotencyKey: { type: 'string', pattern: IDEMPOTENCY_KEY.source, description: 'Per-message idempotency key; unique within the batch' },
        payload,
      },
    };
    const messages = { type: 'object', required: ['messages'], additionalProperties: false, properties: { messages: { type: 'array', minItems: 1, maxItems: batchMaxMessages, items: item } } };
    const id = topic.name.replace(/[^A-Za-z0-9]+/g, '_');
    const versions = topicVersions(topic).map((v) => v.version).join(', ');
    const description = `${topic.description}. Versions: ${versions} (JSON and MessagePack bodies are the current version; a CloudEvent names its version in type).`;
    const operation = (base: Operation, operationId: string, summary: string, content: Record<string, unknown>) => ({
      post: { ...base, operationId, summary, description, parameters: withoutTopic(base), requestBody: { required: true, content } },
    });
    paths[`/v1/topics/${topic.name}/messages`] = operation(single, `publish_${id}`, `Publish one ${topic.name} message; 202 only after JetStream stored it`, {
      [MEDIA_TYPES.json]: { schema: payload },
      [MEDIA_TYPES.msgpack]: { schema: payload },
      [MEDIA_TYPES.cloudEvent]: { schema: events },
    });
    paths[`/v1/topics/${topic.name}/messages/batch`] = operation(batch, `publishBatch_${id}`, `Publish up to ${batchMaxMessages} ${topic.name} messages; all are validated before any is published`, {
      [MEDIA_TYPES.json]: { schema: messages },
      [MEDIA_TYPES.msgpack]: { schema: messages },
      [MEDIA_TYPES.cloudEventBatch]: { schema: { type: 'array', minItems: 1, maxItems: batchMaxMessages, items: events } },
    });
  }
}
