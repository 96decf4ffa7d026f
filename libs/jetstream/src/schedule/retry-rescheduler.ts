import { createHash } from 'node:crypto';
import type { JsMsg } from '@nats-io/jetstream';
import { REPLAY_HEADERS } from '../dead-letter/dead-letter.constants.js';
import { HEADERS, headerEntries, type HeaderEntries } from '../headers/message-headers.js';
import { messageKeyOf } from '../idempotency/idempotency-key.js';
import { originalSubject, redeliverySubject } from '../redelivery/redelivery-subject.js';
import type { MessageScheduler, ScheduleResult } from './message-scheduler.js';

/**
 * Headers a copy does not inherit: the server's own, and ours that the copy sets anew
 * (`nestjet-replay-for` only marked copies before redelivery subjects; a copy of one drops it).
 */
const NOT_COPIED = new Set<string>([HEADERS.publishedAt, HEADERS.attempts, HEADERS.originMsgId, REPLAY_HEADERS.replayFor]);

/**
 * A retry due later than the ack wait, as a schedule: a copy of the message
 * for this consumer alone, delivered by the nats-server scheduler after the
 * delay onto the consumer's redelivery subject
 * (`nestjet-redeliver.<stream>.<durable>.<subject>`, which only its filter
 * names), carrying the attempts made so far. The transport acks the delivery
 * once the copy is stored, so a long retry holds no ack slot. Schedules go
 * through the dead-letter connection: its user may publish schedules and
 * redelivery subjects; the worker's own user may do neither.
 */
export class RetryRescheduler {
  constructor(private readonly scheduler: MessageScheduler) {}

  reschedule(msg: JsMsg, consumer: string, attempts: number, deliverAt: Date): Promise<ScheduleResult> {
    // One schedule per delivery and attempt: a rescheduler that retries after a lost answer finds its own schedule.
    const key = `${msg.info.stream}\0${msg.info.streamSequence}\0${consumer}\0${attempts}`;
    const id = `retry-${createHash('sha256').update(key).digest('base64url')}`;
    const headers: HeaderEntries = headerEntries(msg.headers).filter(([k]) => !k.toLowerCase().startsWith('nats-') && !NOT_COPIED.has(k));
    headers.push([HEADERS.attempts, String(attempts)]);
    // The pipeline hands a copy on under its original subject already; a raw delivery of one is stripped here.
    const subject = redeliverySubject(msg.info.stream, consumer, originalSubject(msg.subject));
    return this.scheduler.schedule({ id, msgId: id, originMsgId: messageKeyOf(msg), subject, data: msg.data, deliverAt, headers, scheduledBy: `consumer:${consumer}` });
  }
}
