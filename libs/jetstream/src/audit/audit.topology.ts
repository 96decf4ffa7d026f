import type { StreamDeclaration, Topology } from '#contracts';
import { AUDIT_STREAM, AUDIT_SUBJECT_PREFIX } from './audit.constants.js';

/** Operator settings of the audit trail. */
export interface AuditOptions {
  /** How long records are kept; the oldest retained record then starts the verifiable chain. */
  maxAgeMs: number;
  /** Size of the AUDIT stream; full, it refuses new records (and the admin action is logged as unrecorded). */
  maxBytes: number;
  replicas: number;
}

export const DEFAULT_AUDIT_OPTIONS: AuditOptions = {
  maxAgeMs: 365 * 24 * 3600_000,
  // A record is about 500 bytes: room for some 500,000 admin actions (the server reserves it against its file store).
  maxBytes: 256 * 1024 ** 2,
  replicas: 1,
};

/**
 * The topology plus the AUDIT stream: append-only. The server refuses to
 * delete a message or purge it (`deny_delete`, `deny_purge`, which no update
 * can turn off again); records leave only by age. It refuses rather than
 * evicts when full (`discard: new`): evicting would remove the oldest records
 * silently.
 */
export function withAudit(topology: Topology, options: AuditOptions): Topology {
  const audit: StreamDeclaration = {
    name: AUDIT_STREAM,
    description: 'Admin actions (who, what, when, result), each chained by hash to the one before',
    subjects: [`${AUDIT_SUBJECT_PREFIX}.>`],
    retention: 'limits',
    storage: 'file',
    replicas: options.replicas,
    maxAgeMs: options.maxAgeMs,
    maxBytes: options.maxBytes,
    discard: 'new',
    duplicateWindowMs: 2 * 60_000,
    allowDirect: true,
    denyDelete: true,
    denyPurge: true,
  };
  return { ...topology, streams: [...topology.streams, audit] };
}
