import { currentVersion, parseEventType, subjectFor, validateTopicPayload, ValidationFailedError, type TopicDeclaration } from '#contracts';
import { CE_HEADER_PREFIX, CONTENT_TYPE_HEADER } from '../cloud-events/cloud-event.headers.js';
import { codecOfContentType, PAYLOAD_CODECS } from '../codec/payload-codec.js';
import type { HeaderEntries } from '../headers/message-headers.js';

/**
 * The message a replay with an edited payload publishes. The edit is the
 * payload as the admin API showed it: the version the original's `ce-type`
 * names (the current one if it names none), validated like the ingress would,
 * encoded as the original was (its `content-type`), routed again; the other
 * headers, CloudEvents attributes included, stay the original's.
 */
export function editedMessage(topic: TopicDeclaration, edited: unknown, originalHeaders: HeaderEntries): { subject: string; data: Uint8Array | string; headers: HeaderEntries } {
  const header = (name: string) => originalHeaders.find(([k]) => k.toLowerCase() === name)?.[1];
  const type = parseEventType(header(`${CE_HEADER_PREFIX}type`) ?? '');
  const version = type?.topic === topic.name ? type.version : currentVersion(topic);
  const errors = validateTopicPayload(topic, edited, 'payload', version);
  if (errors.length > 0) throw new ValidationFailedError(errors);
  const codec = codecOfContentType(header(CONTENT_TYPE_HEADER)) ?? PAYLOAD_CODECS[topic.codec ?? 'json'];
  const headers: HeaderEntries = [...originalHeaders.filter(([k]) => k.toLowerCase() !== CONTENT_TYPE_HEADER), [CONTENT_TYPE_HEADER, codec.contentType]];
  return { subject: subjectFor(topic, edited as object), data: codec.encode(edited), headers };
}
