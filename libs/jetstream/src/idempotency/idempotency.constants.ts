/** Processed-markers of idempotent handlers: one key per (consumer, message), each expiring after its handler's horizon. */
export const PROCESSED_BUCKET = 'nestjet_processed';

/** How long a marker outlives processing unless the handler declares its own horizon. */
export const DEFAULT_IDEMPOTENCY_HORIZON_MS = 24 * 3600_000;
