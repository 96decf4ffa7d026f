export type PublishOutcome = 'stored' | 'duplicate' | 'timeout' | 'full' | 'rejected';
export type ProcessOutcome = 'ack' | 'nak' | 'reschedule' | 'term' | 'skip';

interface Inc {
  inc(): void;
}
interface Observe {
  observe(value: number): void;
}

/** A topic's publish metrics with their labels bound once (see NestjetMetrics.topic). */
export interface TopicMetrics {
  published: Record<PublishOutcome, Inc>;
  publishDuration: Observe;
}

/** A consumer's processing metrics with their labels bound once (see NestjetMetrics.consumer). */
export interface ConsumerMetrics {
  processed: Record<ProcessOutcome, Inc>;
  handlerDuration: Observe;
  endToEnd: Observe;
}
