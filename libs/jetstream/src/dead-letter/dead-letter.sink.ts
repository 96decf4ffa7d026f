import type { HeaderEntries } from '../headers/message-headers.js';
import type { JetStreamPublisher, PublishResult } from '../publisher/jetstream.publisher.js';
import type { DeadLetterFacts } from './dead-letter.record.js';
import { writeDeadLetter } from './dead-letter.writer.js';

/** Which writer stored a record: the transport at the final failure, the advisory router, or the reconciliation sweep. */
export type DeadLetterSource = 'direct' | 'router' | 'reconciler';

/** What a process counts of the records it stores; the metrics are the app's (see DeadLetterModule). */
export interface DeadLetterCounters {
  /** A record newly stored: not a duplicate of one another writer stored first. */
  stored(facts: Pick<DeadLetterFacts, 'stream' | 'consumer' | 'kind'>, source: DeadLetterSource): void;
}

/**
 * The one seam dead letters are written through. The transport writes first
 * (DirectDeadLetterHook); the advisory router and the reconciliation sweep are
 * backstops for what it could not store, and feed the same seam: the record's
 * msgID makes whichever comes second a duplicate, and only a newly stored
 * record is counted, whoever wrote it.
 */
export class DeadLetterSink {
  constructor(
    /** Records no ingress metrics (the sink counts its own). */
    private readonly publisher: JetStreamPublisher,
    private readonly counters?: DeadLetterCounters,
  ) {}

  async write(source: DeadLetterSource, facts: DeadLetterFacts, data: Uint8Array, originalHeaders: HeaderEntries): Promise<PublishResult> {
    const result = await writeDeadLetter(this.publisher, facts, data, originalHeaders);
    if (!result.duplicate) this.counters?.stored(facts, source);
    return result;
  }
}
