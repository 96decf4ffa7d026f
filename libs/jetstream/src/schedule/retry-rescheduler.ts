import { createHash } from 'node:crypto';
import type { JsMsg } from '@nats-io/jetstream';
import { REPLAY_HEADERS } from '../dead-letter/dead-letter.constants.js';
import { HEADERS, headerEntries, type HeaderEntries } from '../headers/message-headers.js';
import { messageKeyOf } from '../idempotency/idempotency-key.js';
import type { MessageScheduler, ScheduleResult } from './message-scheduler.js';

/** Headers a copy does not inherit: the server's own, and ours that the copy sets anew. */
const NOT_COPIED = new Set<string>([HEADERS.publishedAt, HEADERS.attempts, HEADERS.originMsgId, REPLAY_HEADERS.replayFor]);

/**
 * A retry due later than the ack wait, as a schedule: a copy of the message,
 * on its own subject and for this consumer only (`replay-for`, which the other
 * consumers skip), carrying the attempts made so far, delivered by the
 * nats-server scheduler after the delay. The transport acks the delivery once
 * the copy is stored, so a long retry holds no ack slot. Schedules go through
 * the dead-letter connection: its user may already publish topic subjects
 * (replays) and a copy lands on one; the worker's own user may not.
 */
export class RetryRescheduler {
  constructor(private readonly scheduler: MessageScheduler) {}

  reschedule(msg: JsMsg, consumer: string, attempts: number, deliverAt: Date): Promise<ScheduleResult> {
    // One schedule per delivery and attempt: a rescheduler that retries after a lost answer finds its own schedule.
    const key = `${msg.info.stream}\0${msg.info.streamSequence}\0${consumer}\0${attempts}`;
    const id = `retry-${createHash('sha256').update(key).digest('base64url')}`;
    const headers: HeaderEntries = headerEntries(msg.headers).filter(([k]) => !k.toLowerCase().startsWith('nats-') && !NOT_COPIED.has(k));
    headers.push([REPLAY_HEADERS.replayFor, consumer], [HEADERS.attempts, String(attempts)]);
    return this.scheduler.schedule({ id, msgId: id, originMsgId: messageKeyOf(msg), subject: msg.subject, data: msg.data, deliverAt, headers, scheduledBy: `consumer:${consumer}` });
  }
}
