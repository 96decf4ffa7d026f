import { currentVersion, parseEventType, topicVersions, type TopicDeclaration, type Upcasters } from '#contracts';
import type { JsMsg } from '@nats-io/jetstream';
import { CE_HEADER_PREFIX, CONTENT_TYPE_HEADER } from '../cloud-events/cloud-event.headers.js';
import { PayloadBoundsError } from '../codec/payload-bounds.js';
import { codecOfContentType } from '../codec/payload-codec.js';
import { NonRetryableError, PayloadValidationError } from '../errors/non-retryable.error.js';

/** A handler bound to a versioned topic: the version its `@Payload()` is, and how older versions become it. */
export interface VersionedHandler {
  topic: TopicDeclaration;
  version: number;
  /** Declared versions of the topic up to `version`, oldest first. */
  versions: number[];
  upcast: Upcasters;
}

/**
 * The `version` and `upcast` options of `@EventPattern(topic, { consumer, version?, upcast? })`,
 * checked at start-up: the version must be one of the topic's, and every
 * older version needs an upcaster to the next one (`{ 1: v1 => v2 }`).
 * Undefined for a pattern that names no declared topic.
 */
export function versionedHandler(pattern: string, extras: Record<string, unknown> | undefined, topics: readonly TopicDeclaration[]): VersionedHandler | undefined {
  const topic = topics.find((t) => pattern === t.name || pattern.startsWith(`${t.name}.`));
  const { version: asked, upcast = {} } = (extras ?? {}) as { version?: unknown; upcast?: unknown };
  if (!topic) {
    if (asked !== undefined || extras?.upcast !== undefined) throw new Error(`handler for "${pattern}" has version/upcast options but "${pattern}" is no declared topic`);
    return undefined;
  }
  const declared = topicVersions(topic).map((v) => v.version);
  const version = asked ?? currentVersion(topic);
  if (typeof version !== 'number' || !declared.includes(version)) {
    throw new Error(`handler for ${topic.name}: version ${JSON.stringify(asked)} is not one of its versions (${declared.join(', ')})`);
  }
  if (typeof upcast !== 'object' || upcast === null) throw new Error(`handler for ${topic.name}: upcast must be { <from version>: (payload) => next version's payload }`);
  const versions = declared.filter((v) => v <= version);
  const missing = versions.filter((v) => v < version && typeof (upcast as Upcasters)[v] !== 'function');
  if (missing.length > 0) {
    throw new Error(`handler for ${topic.name} (version ${version}) has no upcaster from version ${missing.join(', ')}: add upcast: { ${missing[0]}: (payload) => … }`);
  }
  return { topic, version, versions, upcast: upcast as Upcasters };
}

/**
 * The payload a handler gets: decoded by the message's `content-type`
 * (none is JSON), then, for a versioned handler, upcast from the version its
 * `ce-type` names to the handler's. A message without a version is taken as
 * the handler's version (a publisher unaware of versions); its validation
 * then decides. Undecodable bytes and versions newer than the handler are
 * poison for this consumer: terminated, dead-lettered, replayable once a
 * consumer that reads them is deployed.
 */
export function readPayload(msg: JsMsg, handler: VersionedHandler | undefined): unknown {
  const contentType = msg.headers?.get(CONTENT_TYPE_HEADER) || undefined;
  const codec = codecOfContentType(contentType);
  if (!codec) throw new PayloadValidationError(`unsupported content-type ${contentType}`);
  let payload: unknown;
  try {
    payload = codec.decode(msg.data);
  } catch (err) {
    // The reason goes into the dead letter: a hostile payload is named for what it is, and never reaches a handler.
    const reason = err instanceof PayloadBoundsError ? err.message : (err as Error).message.slice(0, 200);
    throw new PayloadValidationError(`payload is not valid ${codec.name === 'json' ? 'JSON' : 'MessagePack'}: ${reason}`);
  }
  if (!handler) return payload;
  const version = versionOf(msg, handler.topic) ?? handler.version;
  if (version === handler.version) return payload;
  if (version > handler.version) {
    throw new NonRetryableError(`${handler.topic.name} version ${version} is newer than this handler's version ${handler.version}: deploy a consumer that handles it, then replay from the DLQ`);
  }
  const from = handler.versions.indexOf(version);
  if (from < 0) throw new NonRetryableError(`${handler.topic.name} has no version ${version}`);
  for (const v of handler.versions.slice(from, -1)) payload = handler.upcast[v]!(payload);
  return payload;
}

/** The version the message's `ce-type` names, when it names this topic. */
function versionOf(msg: JsMsg, topic: TopicDeclaration): number | undefined {
  const type = msg.headers?.get(`${CE_HEADER_PREFIX}type`);
  if (!type) return undefined;
  const parsed = parseEventType(type);
  return parsed?.topic === topic.name ? parsed.version : undefined;
}
