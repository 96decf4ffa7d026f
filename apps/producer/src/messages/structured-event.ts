import { eventTypeOf, isRfc3339, topicVersions, validateTopicPayload, type FieldError, type TopicDeclaration } from '#contracts';
import type { IngressMessage } from './ingress-message.js';

/** Limits of a structured event's attributes; the OpenAPI schema states the same. */
export const CLOUD_EVENT_LIMITS = { id: 256, source: 1024, subject: 256, extensionValue: 1024 } as const;

/** Attributes of one event, extensions included (each becomes a header). */
export const MAX_EVENT_ATTRIBUTES = 32;

/** CloudEvents' Integer type is 32-bit. */
const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };

/** CloudEvents extension attribute names: lower-case letters and digits, at most 20. */
export const EXTENSION_NAME = /^[a-z0-9]{1,20}$/;

const CONTEXT_ATTRIBUTES = new Set(['specversion', 'id', 'source', 'type', 'time', 'subject', 'datacontenttype', 'dataschema', 'data']);

/**
 * A CloudEvent in structured mode (`application/cloudevents+json`) for a
 * topic: `type` names the topic and the payload's version
 * (`orders.created.v1`), `data` is the payload, validated by that version's
 * DTO. Checked by hand rather than with the SDK's validator so that what is
 * accepted is exactly what the OpenAPI schema says (the contract test holds
 * both to it). `dataschema` is replaced by the ingress's own.
 */
export function structuredEvent(topic: TopicDeclaration, body: unknown, prefix = ''): { message?: IngressMessage; errors: FieldError[] } {
  const at = (field: string) => (prefix ? `${prefix}.${field}` : field);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { errors: [{ field: prefix || '(body)', messages: ['must be a CloudEvent: a JSON object with specversion, id, source, type and data'] }] };
  }
  const e = body as Record<string, unknown>;
  const errors: FieldError[] = [];
  const bad = (field: string, message: string) => errors.push({ field: at(field), messages: [message] });
  const text = (field: string, max: number, required: boolean) => {
    const value = e[field];
    if (value === undefined && !required) return;
    if (typeof value !== 'string' || value.length === 0 || value.length > max) bad(field, `must be a string of 1-${max} characters`);
  };
  if (e.specversion !== '1.0') bad('specversion', 'must be "1.0"');
  text('id', CLOUD_EVENT_LIMITS.id, true);
  text('source', CLOUD_EVENT_LIMITS.source, true);
  text('subject', CLOUD_EVENT_LIMITS.subject, false);
  const types = topicVersions(topic).map((v) => eventTypeOf(topic.name, v.version));
  const version = topicVersions(topic)[types.indexOf(e.type as string)]?.version;
  if (version === undefined) bad('type', `must be one of ${types.join(', ')} (the topic and the payload's version)`);
  if (e.time !== undefined && !isRfc3339(e.time)) bad('time', 'must be an RFC 3339 date-time with a time zone');
  if (e.datacontenttype !== undefined && e.datacontenttype !== 'application/json') bad('datacontenttype', 'must be application/json (data is the JSON payload)');
  if (e.dataschema !== undefined && typeof e.dataschema !== 'string') bad('dataschema', 'must be a string');
  const extensions: Record<string, string> = {};
  for (const [name, value] of Object.entries(e)) {
    if (CONTEXT_ATTRIBUTES.has(name)) continue;
    if (!EXTENSION_NAME.test(name)) {
      bad(name, name === 'data_base64' ? 'is not accepted: send the payload as JSON in data' : 'is not an attribute: extension names are 1-20 lower-case letters or digits');
    } else if (typeof value === 'boolean' || (typeof value === 'number' && Number.isInteger(value) && value >= INT32.min && value <= INT32.max)) {
      extensions[name] = String(value);
    } else if (typeof value === 'string' && value.length <= CLOUD_EVENT_LIMITS.extensionValue) {
      extensions[name] = value;
    } else {
      bad(name, `an extension must be a string of at most ${CLOUD_EVENT_LIMITS.extensionValue} characters, a 32-bit integer or a boolean`);
    }
  }
  if (Object.keys(e).length > MAX_EVENT_ATTRIBUTES) bad('(event)', `at most ${MAX_EVENT_ATTRIBUTES} attributes, extensions included`);
  if (!('data' in e)) bad('data', "is required: the topic's payload");
  else if (version !== undefined) errors.push(...validateTopicPayload(topic, e.data, at('data'), version));
  if (errors.length > 0) return { errors };
  const id = e.id as string;
  const source = e.source as string;
  return {
    errors,
    message: {
      payload: e.data as object,
      version,
      // CloudEvents: the same source and id is the same event, so a repeat is a duplicate.
      idempotencyKey: `cloudevent\u0000${source}\u0000${id}`,
      answerId: id,
      event: {
        id,
        source,
        time: e.time as string | undefined,
        subject: e.subject as string | undefined,
        extensions: Object.keys(extensions).length > 0 ? extensions : undefined,
      },
    },
  };
}
