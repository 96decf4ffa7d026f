import { REDELIVERY_PREFIX } from './redelivery.constants.js';

/** A redelivery subject taken apart. */
export interface RedeliveryAddress {
  stream: string;
  durable: string;
  /** The subject the message was published to (the topic subject handlers route on). */
  subject: string;
}

const PREFIX = `${REDELIVERY_PREFIX}.`;

/** Where a copy of a message on `subject` goes when it is for `durable` of `stream` alone. */
export function redeliverySubject(stream: string, durable: string, subject: string): string {
  return `${redeliveryPrefix(stream, durable)}${subject}`;
}

/** What every redelivery subject of `durable` starts with, up to the original subject: `nestjet-redeliver.<stream>.<durable>.`. */
export function redeliveryPrefix(stream: string, durable: string): string {
  return `${PREFIX}${stream}.${durable}.`;
}

/** Every redelivery subject of `durable`: added to its filter, so it receives its own copies and nobody else's. */
export function redeliveryFilter(stream: string, durable: string): string {
  return `${PREFIX}${stream}.${durable}.>`;
}

/** The redelivery subjects of a stream, which the stream stores besides its topic subjects. */
export function redeliverySpace(stream: string): string {
  return `${PREFIX}${stream}.>`;
}

export function isRedeliverySubject(subject: string): boolean {
  return subject.startsWith(PREFIX);
}

/** The parts of a redelivery subject; undefined for any other subject (or one missing a part). */
export function parseRedeliverySubject(subject: string): RedeliveryAddress | undefined {
  if (!isRedeliverySubject(subject)) return undefined;
  const streamEnd = subject.indexOf('.', PREFIX.length);
  const durableEnd = streamEnd < 0 ? -1 : subject.indexOf('.', streamEnd + 1);
  if (durableEnd < 0 || streamEnd === PREFIX.length || durableEnd === streamEnd + 1 || durableEnd === subject.length - 1) return undefined;
  return { stream: subject.slice(PREFIX.length, streamEnd), durable: subject.slice(streamEnd + 1, durableEnd), subject: subject.slice(durableEnd + 1) };
}

/**
 * The subject a stored message was published to: a redelivery subject
 * without its prefix, stream and durable; any other subject as it is. What
 * failure records and DLQ records name, so a copy's dead letter reads like
 * the original's and replays to the same topic.
 */
export function originalSubject(subject: string): string {
  return parseRedeliverySubject(subject)?.subject ?? subject;
}
