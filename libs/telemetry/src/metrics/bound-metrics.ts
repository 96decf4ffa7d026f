import { nestjetMetrics } from './nestjet.metrics.js';

export type PublishOutcome = 'stored' | 'duplicate' | 'timeout' | 'full' | 'rejected';
export type ProcessOutcome = 'ack' | 'nak' | 'reschedule' | 'term' | 'skip';

interface Inc {
  inc(): void;
}
interface Observe {
  observe(value: number): void;
}

/** A topic's publish metrics with their labels bound once. */
export interface TopicMetrics {
  published: Record<PublishOutcome, Inc>;
  publishDuration: Observe;
}

/** A consumer's processing metrics with their labels bound once. */
export interface ConsumerMetrics {
  processed: Record<ProcessOutcome, Inc>;
  handlerDuration: Observe;
  endToEnd: Observe;
}

const topics = new Map<string, TopicMetrics>();
const consumers = new Map<string, ConsumerMetrics>();

/**
 * The per-message metrics of a topic, children bound once: a label lookup
 * (prom-client hashes the label object) per publish and per delivery showed
 * in the producer's and the consumer's profiles. Topics and consumers come
 * from the declared topology, so the caches stay small.
 */
export function topicMetrics(topic: string): TopicMetrics {
  let bound = topics.get(topic);
  if (!bound) {
    const published = (result: PublishOutcome) => nestjetMetrics.published.labels({ topic, result });
    bound = {
      published: { stored: published('stored'), duplicate: published('duplicate'), timeout: published('timeout'), full: published('full'), rejected: published('rejected') },
      publishDuration: nestjetMetrics.publishDuration.labels({ topic }),
    };
    topics.set(topic, bound);
  }
  return bound;
}

/** The per-delivery metrics of a consumer, children bound once (see `topicMetrics`). */
export function consumerMetrics(consumer: string): ConsumerMetrics {
  let bound = consumers.get(consumer);
  if (!bound) {
    const processed = (outcome: ProcessOutcome) => nestjetMetrics.processed.labels({ consumer, outcome });
    bound = {
      processed: { ack: processed('ack'), nak: processed('nak'), reschedule: processed('reschedule'), term: processed('term'), skip: processed('skip') },
      handlerDuration: nestjetMetrics.handlerDuration.labels({ consumer }),
      endToEnd: nestjetMetrics.endToEnd.labels({ consumer }),
    };
    consumers.set(consumer, bound);
  }
  return bound;
}
