import { Logger } from '@nestjs/common';
import { StreamFullError } from '../errors/publish.errors.js';
import type { DeliveryFacts, MessageFailure, MessageFailureHook } from '../transport/message-failure.hook.js';
import type { DeadLetterSink } from './dead-letter.sink.js';
import { finalFailureFacts } from './dead-letter.writer.js';
import type { KvFailureRecorder } from './failure.recorder.js';

/**
 * The transport's failure hook with direct dead-lettering: a final failure
 * (term, or the last allowed attempt) is published to the DLQ by the process
 * that saw it, before the message is settled, so no record depends on the
 * server's advisories (core NATS messages, lost when DLQ_ADVISORIES is
 * missing or full). The record carries the msgID the router would use, so the
 * router's copy from the advisory is a duplicate. If the publish fails (DLQ
 * full, outage) the message is settled all the same: the advisory path and
 * the reconciliation sweep write the record later from the failure record.
 *
 * Failure records go through the worker's connection (its user writes its own
 * durables' keys of the bucket); records through `publisher`: the worker's own
 * connection, whose user (`consumer-<group>`) may publish `dlq.<stream>.<durable>`
 * for its own durables only, or the dead-letter connection where there is one.
 * A refused publish (a user without that permission) is a failed publish: the
 * message is settled and the router writes the record.
 */
export class DirectDeadLetterHook implements MessageFailureHook {
  private readonly logger = new Logger('DirectDeadLetter');

  constructor(
    private readonly recorder: KvFailureRecorder,
    private readonly sink: DeadLetterSink,
  ) {}

  async onFailure(f: MessageFailure): Promise<void> {
    const dlqSeq = f.final && f.original ? await this.deadLetter(f, f.original) : undefined;
    // Written even when the record is stored: the router corroborates the advisory that follows with it.
    await this.recorder.onFailure(f, dlqSeq);
  }

  onRedelivered(d: DeliveryFacts): Promise<void> {
    return this.recorder.onRedelivered(d);
  }

  onSucceeded(d: DeliveryFacts): Promise<void> {
    return this.recorder.onSucceeded(d);
  }

  /** The DLQ sequence of the record, or undefined when it could not be stored now. */
  private async deadLetter(f: MessageFailure, original: NonNullable<MessageFailure['original']>): Promise<number | undefined> {
    const kind = f.terminated ? 'terminated' : 'max_deliveries';
    const where = { stream: f.stream, streamSequence: f.streamSequence, consumer: f.consumer, kind };
    try {
      // The first failure time lives in the failure record; without it (bucket unreachable) this attempt's time stands in.
      const previous = await this.recorder.lastFailure(f.stream, f.streamSequence, f.consumer).catch(() => null);
      const at = f.at.toISOString();
      const facts = finalFailureFacts(
        { ...f, kind, firstFailureAt: previous?.firstFailureAt ?? at, lastFailureAt: at, originalTime: original.storedAt?.toISOString() },
        original.headers,
      );
      const result = await this.sink.write('direct', facts, original.data, original.headers);
      this.logger.log({ event: 'dlq.stored', via: 'direct', ...where, dlqSeq: result.seq, duplicate: result.duplicate });
      return result.seq;
    } catch (err) {
      this.logger.warn({
        event: 'dlq.direct-failed',
        ...where,
        full: err instanceof StreamFullError,
        error: String(err),
        hint: 'settled anyway; the advisory path or the reconciliation sweep stores the record later',
      });
      return undefined;
    }
  }
}
