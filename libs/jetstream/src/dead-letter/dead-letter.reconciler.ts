import type { JetStreamManager, MsgRequest, StoredMsg } from '@nats-io/jetstream';
import { Logger } from '@nestjs/common';
import { isNotFound } from '../errors/jetstream-api.errors.js';
import { StreamFullError } from '../errors/publish.errors.js';
import { headerEntries, type HeaderEntries } from '../headers/message-headers.js';
import { originalSubject } from '../redelivery/redelivery-subject.js';
import { DLQ_FAILURE_BUCKET } from './dead-letter.constants.js';
import type { DeadLetterSink } from './dead-letter.sink.js';
import { finalFailureFacts } from './dead-letter.writer.js';
import { decodeFailureRecord, type FailureRecord, type KvFailureRecorder } from './failure.recorder.js';

export interface ReconcileOptions {
  /** Time between sweeps. */
  intervalMs: number;
  /** A final failure younger than this is left to the transport and the advisory path. */
  graceMs: number;
  /** Failure-bucket entries read per sweep at most; the next sweep goes on from there. */
  batch: number;
}

export const DEFAULT_RECONCILE_OPTIONS: ReconcileOptions = { intervalMs: 60_000, graceMs: 60_000, batch: 1_000 };

export interface SweepResult {
  scanned: number;
  /** Records this sweep stored. */
  stored: number;
  /** Records that were in the DLQ already (the msgID deduplicated the publish). */
  duplicates: number;
  failed: number;
}

/**
 * A final failure (terminated, or the transport's last allowed attempt) with
 * no DLQ record noted, older than the grace period. A record whose last
 * attempt ended by crash or ack timeout is not known to be final here: the
 * advisory path handles those.
 */
export function needsReconciling(record: Pick<FailureRecord, 'terminated' | 'final' | 'dlqSeq' | 'lastFailureAt'>, nowMs: number, graceMs: number): boolean {
  if (!(record.terminated || record.final === true) || record.dlqSeq !== undefined) return false;
  const at = Date.parse(record.lastFailureAt);
  return !Number.isNaN(at) && nowMs - at >= graceMs;
}

const STREAM = `KV_${DLQ_FAILURE_BUCKET}`;
const SUBJECTS = `$KV.${DLQ_FAILURE_BUCKET}.>`;

/**
 * The backstop of the backstop: a final failure (terminated, or the last
 * allowed attempt) whose DLQ record neither the transport (DLQ full, outage)
 * nor the router (advisory lost: DLQ_ADVISORIES missing, full, without
 * quorum) stored is still in the failure bucket, without a `dlqSeq`, after
 * the grace period. The sweep writes its record with the same msgID, so a
 * record that exists after all is a duplicate, not a second one, then notes
 * the DLQ sequence in the failure record (later sweeps and a late advisory
 * skip it). It reads the bucket's stream in sequence order, at most `batch`
 * entries per sweep, continuing where the previous sweep stopped.
 *
 * It never deletes originals: on WorkQueue/Interest streams that stays the
 * router's job, on the advisory (see DeadLetterRouter.deadLetter).
 */
export class DeadLetterReconciler {
  private readonly logger = new Logger('DeadLetterReconciler');
  private cursor = 1;
  private timer?: NodeJS.Timeout;
  private current?: Promise<unknown>;
  private stopped = false;

  constructor(
    private readonly jsm: JetStreamManager,
    /** On the dead-letter connection (only the `dlq` user writes `dlq.>`). */
    private readonly sink: DeadLetterSink,
    private readonly failures: KvFailureRecorder,
    private readonly options: ReconcileOptions = DEFAULT_RECONCILE_OPTIONS,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule();
    this.logger.log({ event: 'dlq-reconciler.started', ...this.options });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.current;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.current = this.sweep()
        .catch((err: unknown) => this.logger.warn({ event: 'dlq-reconciler.sweep-failed', error: String(err) }))
        .finally(() => this.schedule());
    }, this.options.intervalMs);
  }

  /** One bounded pass over the failure bucket. */
  async sweep(): Promise<SweepResult> {
    const result: SweepResult = { scanned: 0, stored: 0, duplicates: 0, failed: 0 };
    while (result.scanned < this.options.batch && !this.stopped) {
      const entry = await this.jsm.streams.getMessage(STREAM, { seq: this.cursor, next_by_subj: SUBJECTS } as unknown as MsgRequest);
      if (!entry) {
        // The end of the bucket: the next sweep starts from the beginning.
        this.cursor = 1;
        break;
      }
      this.cursor = entry.seq + 1;
      result.scanned++;
      const record = this.candidate(entry);
      if (!record) continue;
      try {
        const { duplicate } = await this.reconcile(record, entry.seq);
        if (duplicate) result.duplicates++;
        else result.stored++;
      } catch (err) {
        result.failed++;
        const where = { stream: record.stream, streamSequence: record.streamSequence, consumer: record.consumer };
        this.logger.warn({ event: 'dlq-reconciler.failed', ...where, full: err instanceof StreamFullError, error: String(err) });
        // A full DLQ refuses every record alike: the next sweep tries again.
        if (err instanceof StreamFullError) break;
      }
    }
    // Quiet sweeps only at debug level: one a minute per pod would drown the log.
    if (result.stored + result.duplicates + result.failed > 0) this.logger.log({ event: 'dlq-reconciler.swept', ...result });
    else this.logger.debug({ event: 'dlq-reconciler.swept', ...result });
    return result;
  }

  /** A final failure past the grace period with no DLQ record noted, or null. */
  private candidate(entry: StoredMsg): FailureRecord | null {
    // Deletes and purges leave markers (KV-Operation: DEL / PURGE) and no record.
    if (entry.header?.get('KV-Operation')) return null;
    let record: FailureRecord;
    try {
      record = decodeFailureRecord(entry.string());
    } catch {
      return null;
    }
    return needsReconciling(record, Date.now(), this.options.graceMs) ? record : null;
  }

  private async reconcile(record: FailureRecord, revision: number): Promise<{ duplicate: boolean }> {
    const kind = record.terminated ? 'terminated' : 'max_deliveries';
    const found = await this.original(record);
    // The failure record names a copy by the topic subject it was published for (see originalSubject).
    const stored = found && originalSubject(found.subject) === record.subject ? found : null;
    const copy = record.original;
    const data = stored?.data ?? copy?.data ?? new Uint8Array();
    const headers: HeaderEntries = stored ? headerEntries(stored.header) : (copy?.headers ?? []);
    const facts = finalFailureFacts({ ...record, kind, originalTime: stored?.time.toISOString() }, headers, !stored && !copy);
    const { seq: dlqSeq, duplicate } = await this.sink.write('reconciler', facts, data, headers);
    const where = { stream: record.stream, streamSequence: record.streamSequence, consumer: record.consumer, kind };
    this.logger.log({ event: 'dlq.reconciled', ...where, dlqSeq, duplicate });
    // A newer revision (a later attempt, the router forgetting it) wins; the msgID keeps a retry a duplicate meanwhile.
    await this.failures.markDeadLettered(record, revision, dlqSeq).catch((err: unknown) => this.logger.debug({ event: 'dlq-reconciler.mark-skipped', ...where, error: String(err) }));
    return { duplicate };
  }

  private async original(r: FailureRecord): Promise<StoredMsg | null> {
    try {
      return await this.jsm.streams.getMessage(r.stream, { seq: r.streamSequence });
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }
}
