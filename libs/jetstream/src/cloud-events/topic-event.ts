import { currentVersion, eventTypeOf, subjectFor, type TopicDeclaration } from '#contracts';
import type { HeaderEntries } from '../headers/message-headers.js';
import { PAYLOAD_CODECS } from '../codec/payload-codec.js';
import { cloudEventHeaders, CLOUDEVENTS_SPEC_VERSION } from './cloud-event.headers.js';

/** What a publisher knows about one event of a topic; the rest is derived from the topic. */
export interface TopicEvent {
  topic: TopicDeclaration;
  /** Valid for `version` (the caller validated it). */
  payload: object;
  /** The payload's version; the topic's current one when absent. */
  version?: number;
  /** `ce-id`: the msgID the message is stored with, unless the caller's own event had an id. */
  id: string;
  /** `ce-source`: a URI reference naming the producer. */
  source: string;
  /** `ce-time`; now when absent. A string is kept as written (RFC 3339). */
  time?: Date | string;
  /** `ce-subject`; the topic's name when absent (the NATS subject adds routing and partition tokens). */
  subject?: string;
  /** Where the version's JSON Schema is served, e.g. `https://ingress/v1/topics/orders.created/schema?version=1`. */
  dataschema?: string;
  /** Extension attributes of an event posted in structured mode. */
  extensions?: Record<string, string>;
}

export interface EncodedTopicEvent {
  /** The NATS subject: topic, routing tokens and, for ordered topics, the partition. */
  subject: string;
  data: Uint8Array | string;
  headers: HeaderEntries;
}

/**
 * One home for what a message of a topic looks like on the wire: payload
 * encoded with the topic's codec, CloudEvents attributes as `ce-*` headers
 * (binary content mode of the NATS binding) and `content-type` naming the codec.
 */
export function encodeTopicEvent(event: TopicEvent): EncodedTopicEvent {
  const { topic, payload } = event;
  const codec = PAYLOAD_CODECS[topic.codec ?? 'json'];
  const headers = cloudEventHeaders({
    specversion: CLOUDEVENTS_SPEC_VERSION,
    id: event.id,
    source: event.source,
    type: eventTypeOf(topic.name, event.version ?? currentVersion(topic)),
    time: typeof event.time === 'string' ? event.time : (event.time ?? new Date()).toISOString(),
    subject: event.subject ?? topic.name,
    dataschema: event.dataschema,
    datacontenttype: codec.contentType,
    extensions: event.extensions,
  });
  return { subject: subjectFor(topic, payload), data: codec.encode(payload), headers };
}
