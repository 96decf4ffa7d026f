import { mediaTypeGuard } from '../http/media-type.guard.js';

/** What the publish routes accept; each request body is parsed by its type (see http/event-bodies.ts). */
export const MEDIA_TYPES = {
  json: 'application/json',
  msgpack: 'application/msgpack',
  /** One CloudEvent in structured mode. */
  cloudEvent: 'application/cloudevents+json',
  /** A JSON array of structured CloudEvents. */
  cloudEventBatch: 'application/cloudevents-batch+json',
} as const;

export const SingleMediaTypeGuard = mediaTypeGuard([MEDIA_TYPES.json, MEDIA_TYPES.msgpack, MEDIA_TYPES.cloudEvent]);
export const BatchMediaTypeGuard = mediaTypeGuard([MEDIA_TYPES.json, MEDIA_TYPES.msgpack, MEDIA_TYPES.cloudEventBatch]);
