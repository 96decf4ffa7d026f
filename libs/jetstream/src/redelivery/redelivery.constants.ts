/**
 * First token of every redelivery subject,
 * `nestjet-redeliver.<stream>.<durable>.<original subject>`: where a retry
 * rescheduled past the ack wait and a DLQ replay go, so that only the durable
 * they are meant for receives them (its filter names its own redelivery
 * subjects; no other durable's does). The stream name is in it because two
 * streams may not share a subject; the hyphen keeps it apart from any topic
 * name (topics are dot-separated words).
 */
export const REDELIVERY_PREFIX = 'nestjet-redeliver';
