/** One message as the ingress received it, whatever the media type: the payload and what the caller said about it. */
export interface IngressMessage {
  /** Validated against `version` before anything is published. */
  payload: object;
  /** The payload's version; the topic's current one when absent. */
  version?: number;
  /** The caller's Idempotency-Key; a structured event's key is its source and id. */
  idempotencyKey?: string;
  /** What the answer calls the message (and a retry sends again): the key, the event's id, or a generated UUID. */
  answerId?: string;
  /** Attributes of an event posted in structured mode, kept on the wire. */
  event?: StructuredEventAttributes;
}

export interface StructuredEventAttributes {
  id: string;
  source: string;
  /** As the caller wrote it (RFC 3339). */
  time?: string;
  subject?: string;
  extensions?: Record<string, string>;
}
