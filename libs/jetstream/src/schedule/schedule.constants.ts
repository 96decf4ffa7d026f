/** The stream that holds pending schedules (nats-server's message scheduler, ADR-51). */
export const SCHEDULES_STREAM = 'SCHEDULES';

/**
 * One subject per pending schedule, `schedules.pending.<id>`: the scheduler
 * keeps one schedule per subject, so two schedules on one subject would
 * replace each other.
 */
export const SCHEDULE_PENDING_PREFIX = 'schedules.pending';

/**
 * Where the server puts a schedule's message when it is due,
 * `schedules.due.<subject>`: the target must be in the schedule's own
 * stream. The topic's stream copies it from there (a stream source that
 * strips the prefix), so consumers see an ordinary message on `<subject>`.
 */
export const SCHEDULE_DUE_PREFIX = 'schedules.due';

/**
 * How long a due message stays in SCHEDULES after it fired. The copy into the
 * topic's stream takes milliseconds; this covers a target stream that is full
 * or without a leader for a while (the source retries until it fits).
 */
export const SCHEDULE_DUE_TTL = '24h';

/**
 * One empty message per pending schedule, `schedules.ledger.<owner>.<id>`
 * (owner: a digest of the principal), expiring (per-message TTL) when the
 * schedule falls due and deleted when it is cancelled: the server counts a
 * caller's pending schedules as the messages under its owner token.
 */
export const SCHEDULE_LEDGER_PREFIX = 'schedules.ledger';

/**
 * The bytes a caller's pending schedules hold, kept like their count: per
 * schedule, one empty message per SCHEDULE_BYTE_UNIT of its payload (rounded
 * up), `schedules.held.<owner>.<id>.<n>`, expiring when it falls due and
 * deleted when it is cancelled. The server counts them; nobody has to take
 * fired schedules off (ADR-49 counters are refused on a stream with schedules
 * or per-message TTLs, so a byte counter could not expire by itself).
 */
export const SCHEDULE_HELD_PREFIX = 'schedules.held';

/** The unit pending schedule bytes are counted in: a 1 MiB payload is 256 entries, a small one 1. */
export const SCHEDULE_BYTE_UNIT = 4096;

/** Headers of a schedule message that nestjet writes (the server's own are `Nats-Schedule*`). */
export const SCHEDULE_HEADERS = {
  /** The principal that scheduled it. */
  scheduledBy: 'nestjet-scheduled-by',
} as const;
