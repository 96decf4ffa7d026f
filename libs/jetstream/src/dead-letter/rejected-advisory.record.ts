import type { StoredMsg } from '@nats-io/jetstream';
import type { AdvisoryRejectionCheck } from '#telemetry';
import { headerValue, type HeaderEntries } from '../headers/message-headers.js';

/** Why and when the router refused an advisory; the record's payload is the advisory as it arrived. */
export interface RejectionFacts {
  check: AdvisoryRejectionCheck;
  reason: string;
  /** The NATS subject the advisory came on. */
  advisorySubject: string;
  /** Its sequence in DLQ_ADVISORIES. */
  advisorySequence: number;
  rejectedAt: string;
}

/** A rejected advisory as the admin API and the CLI show it. */
export interface RejectedAdvisory extends RejectionFacts {
  /** DLQ_REJECTED stream sequence. */
  id: number;
  /** The raw advisory as text (invalid UTF-8 replaced), cut at MAX_RAW_ADVISORY_BYTES. */
  advisory: string;
  truncated: boolean;
}

export const REJECTED_HEADERS = {
  check: 'nestjet-rejected-check',
  reason: 'nestjet-rejected-reason',
  advisorySubject: 'nestjet-rejected-advisory-subject',
  advisorySequence: 'nestjet-rejected-advisory-sequence',
  rejectedAt: 'nestjet-rejected-at',
  truncated: 'nestjet-rejected-truncated',
} as const;

/** Enough for any real advisory many times over; a larger one is junk whose start says enough. */
export const MAX_RAW_ADVISORY_BYTES = 64 * 1024;

export function encodeRejection(facts: RejectionFacts, raw: Uint8Array): { data: Uint8Array; headers: HeaderEntries } {
  const truncated = raw.byteLength > MAX_RAW_ADVISORY_BYTES;
  const headers: HeaderEntries = [
    [REJECTED_HEADERS.check, facts.check],
    [REJECTED_HEADERS.reason, headerValue(facts.reason)],
    [REJECTED_HEADERS.advisorySubject, headerValue(facts.advisorySubject, 512)],
    [REJECTED_HEADERS.advisorySequence, String(facts.advisorySequence)],
    [REJECTED_HEADERS.rejectedAt, facts.rejectedAt],
  ];
  if (truncated) headers.push([REJECTED_HEADERS.truncated, 'true']);
  return { data: truncated ? raw.subarray(0, MAX_RAW_ADVISORY_BYTES) : raw, headers };
}

export function decodeRejection(m: StoredMsg): RejectedAdvisory {
  const h = (name: string) => m.header.get(name);
  return {
    id: m.seq,
    check: h(REJECTED_HEADERS.check) as AdvisoryRejectionCheck,
    reason: h(REJECTED_HEADERS.reason),
    advisorySubject: h(REJECTED_HEADERS.advisorySubject),
    advisorySequence: Number(h(REJECTED_HEADERS.advisorySequence)),
    rejectedAt: h(REJECTED_HEADERS.rejectedAt),
    advisory: new TextDecoder().decode(m.data),
    truncated: h(REJECTED_HEADERS.truncated) === 'true',
  };
}
