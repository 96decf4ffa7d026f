import type { MsgHdrs } from '@nats-io/transport-node';
import { headerValue, type HeaderEntries } from '../headers/message-headers.js';

export const CLOUDEVENTS_SPEC_VERSION = '1.0';

/** Binary content mode of the CloudEvents NATS protocol binding: each attribute is a `ce-<name>` header… */
export const CE_HEADER_PREFIX = 'ce-';
/** …except `datacontenttype`, which is the message's `content-type`. */
export const CONTENT_TYPE_HEADER = 'content-type';

const CORE = ['specversion', 'id', 'source', 'type', 'time', 'subject', 'dataschema'] as const;

/** The context attributes of one event; extension attribute values travel as strings. */
export interface CloudEventAttributes {
  specversion: string;
  id: string;
  source: string;
  type: string;
  time?: string;
  subject?: string;
  dataschema?: string;
  datacontenttype?: string;
  extensions?: Record<string, string>;
}

/** The headers that carry an event's attributes, in the order a reader expects them. */
export function cloudEventHeaders(attributes: CloudEventAttributes): HeaderEntries {
  const entries: HeaderEntries = [];
  for (const name of CORE) {
    const value = attributes[name];
    if (value !== undefined) entries.push([CE_HEADER_PREFIX + name, headerValue(value)]);
  }
  for (const [name, value] of Object.entries(attributes.extensions ?? {})) entries.push([CE_HEADER_PREFIX + name, headerValue(value)]);
  if (attributes.datacontenttype) entries.push([CONTENT_TYPE_HEADER, attributes.datacontenttype]);
  return entries;
}

/** The event a message carries in binary mode; undefined for a message without `ce-specversion` (published by something unaware of CloudEvents). */
export function cloudEventOf(headers: MsgHdrs | undefined): CloudEventAttributes | undefined {
  const specversion = headers?.get(CE_HEADER_PREFIX + 'specversion');
  if (!headers || !specversion) return undefined;
  const get = (name: string) => headers.get(name) || undefined;
  const extensions: Record<string, string> = {};
  for (const key of headers.keys()) {
    const name = key.toLowerCase();
    if (!name.startsWith(CE_HEADER_PREFIX)) continue;
    const attribute = name.slice(CE_HEADER_PREFIX.length);
    if (!(CORE as readonly string[]).includes(attribute)) extensions[attribute] = headers.get(key);
  }
  return {
    specversion,
    id: get(CE_HEADER_PREFIX + 'id') ?? '',
    source: get(CE_HEADER_PREFIX + 'source') ?? '',
    type: get(CE_HEADER_PREFIX + 'type') ?? '',
    time: get(CE_HEADER_PREFIX + 'time'),
    subject: get(CE_HEADER_PREFIX + 'subject'),
    dataschema: get(CE_HEADER_PREFIX + 'dataschema'),
    datacontenttype: get(CONTENT_TYPE_HEADER),
    ...(Object.keys(extensions).length > 0 ? { extensions } : {}),
  };
}
