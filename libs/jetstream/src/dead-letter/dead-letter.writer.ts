import { traceDeadLetter } from '#telemetry';
import { HEADERS, reasonValue, toMsgHdrs, type HeaderEntries } from '../headers/message-headers.js';
import type { JetStreamPublisher, PublishResult } from '../publisher/jetstream.publisher.js';
import { DLQ_STREAM, dlqSubject } from './dead-letter.constants.js';
import { encodeDeadLetter, type DeadLetterFacts } from './dead-letter.record.js';


/**
 * The msgID of a message's DLQ record. Every writer (transport, router,
 * reconciliation sweep) uses it, so whichever comes second within the DLQ's
 * duplicate window gets `duplicate: true` instead of storing a second record.
 */
export function deadLetterMsgId(stream: string, streamSequence: number, consumer: string): string {
  return `${stream}:${streamSequence}:${consumer}`;
}

/** A failure the transport knows to be final, as the transport or the sweep (from its failure record) describe it. */
export type FinalFailure = Pick<
  DeadLetterFacts,
  'kind' | 'subject' | 'stream' | 'streamSequence' | 'consumer' | 'deliveryCount' | 'errorName' | 'handler' | 'firstFailureAt' | 'lastFailureAt' | 'originalTime'
> & { errorMessage: string };

/** The record's facts for a known final failure: the reason reads as the router would write it from the advisory. */
export function finalFailureFacts(f: FinalFailure, originalHeaders: HeaderEntries, originalMissing = false): DeadLetterFacts {
  const reason = reasonValue(`${f.errorName}: ${f.errorMessage}`);
  return {
    kind: f.kind,
    subject: f.subject,
    stream: f.stream,
    streamSequence: f.streamSequence,
    consumer: f.consumer,
    deliveryCount: f.deliveryCount,
    reason: originalMissing ? `${reason}; original message no longer in stream ${f.stream} (expired, purged or deleted)` : reason,
    errorName: f.errorName,
    handler: f.handler,
    firstFailureAt: f.firstFailureAt,
    lastFailureAt: f.lastFailureAt,
    routedAt: new Date().toISOString(),
    originalTime: f.originalTime,
    originalMsgId: originalHeaders.find(([k]) => k === HEADERS.msgId)?.[1],
    originalMissing,
  };
}

/**
 * Publishes one DLQ record inside a `dead-letter <stream>/<consumer>` span of
 * the original's trace. The only place that names a record's subject, msgID
 * and target stream.
 */
export function writeDeadLetter(publisher: JetStreamPublisher, facts: DeadLetterFacts, data: Uint8Array, originalHeaders: HeaderEntries): Promise<PublishResult> {
  return traceDeadLetter(toMsgHdrs(originalHeaders), facts, (trace) =>
    publisher.publish(dlqSubject(facts.stream, facts.consumer), data, {
      trace,
      msgId: deadLetterMsgId(facts.stream, facts.streamSequence, facts.consumer),
      headers: encodeDeadLetter(facts, originalHeaders),
      expectStream: DLQ_STREAM,
    }),
  );
}
