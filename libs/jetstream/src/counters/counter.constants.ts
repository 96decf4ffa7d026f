/** The distributed counter stream (ADR-49): one subject per counter, its last message holds the total. */
export const COUNTERS_STREAM = 'COUNTERS';

/** Counter subjects are `counters.<name>.<…>`. */
export const COUNTERS_PREFIX = 'counters';

/** The header whose value (`+n`, `-n`) the server adds to the subject's total. */
export const COUNTER_INCREMENT_HEADER = 'Nats-Incr';
