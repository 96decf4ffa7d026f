import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';
import type { ConsumerMetrics, ProcessOutcome, PublishOutcome, TopicMetrics } from './bound-metrics.js';
import { processRegistry } from './process.metrics.js';
import { TallyCounter, TallyHistogram } from './tally-metrics.js';

export interface ConsumerStats {
  stream: string;
  consumer: string;
  pending: number;
  ackPending: number;
  redelivered: number;
  waiting: number;
}

export interface StreamStats {
  stream: string;
  bytes: number;
  /** -1 when unlimited. */
  maxBytes: number;
  messages: number;
}

export interface BrokerStats {
  consumers: ConsumerStats[];
  dlqDepth: number | null;
  /** Every declared stream and the streams behind KV buckets (`KV_<bucket>`). */
  streams: StreamStats[];
}

/** Why the DLQ router refused an advisory; a fixed list, so the label stays bounded. */
export const ADVISORY_REJECTION_CHECKS = ['malformed', 'subject_mismatch', 'undeclared', 'uncorroborated'] as const;
export type AdvisoryRejectionCheck = (typeof ADVISORY_REJECTION_CHECKS)[number];

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * Every nestjet_* metric of one application, in a registry of its own (with
 * the process's metrics, see processRegistry); MetricsModule provides it.
 * Label sets are bounded: topics, consumers and streams come from the
 * declared topology, outcomes and results from fixed lists.
 */
@Injectable()
export class NestjetMetrics {
  /** A copy of the shared process registry's list (the metrics themselves are shared), then this app's own. */
  readonly registry = Registry.merge([processRegistry()]);
  private statsSource?: () => Promise<BrokerStats>;
  private readonly topics = new Map<string, TopicMetrics>();
  private readonly consumers = new Map<string, ConsumerMetrics>();

  private readonly publishedTallies = new TallyCounter({
    name: 'nestjet_published_messages_total',
    help: 'Publish attempts by topic and result (stored, duplicate, timeout, rejected, full)',
    labelNames: ['topic', 'result'] as const,
    registers: [this.registry],
  });
  readonly published = this.publishedTallies.counter;

  readonly publishDuration = new TallyHistogram<'topic'>(
    'nestjet_publish_duration_seconds',
    'Time from publish call to JetStream PubAck, retries included',
    LATENCY_BUCKETS,
    [this.registry],
  );

  private readonly processedTallies = new TallyCounter({
    name: 'nestjet_processed_messages_total',
    help: 'Deliveries settled by a consumer, by outcome (ack, nak, reschedule, term, skip)',
    labelNames: ['consumer', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly processed = this.processedTallies.counter;

  readonly handlerDuration = new TallyHistogram<'consumer'>('nestjet_handler_duration_seconds', 'Handler run time per delivery', LATENCY_BUCKETS, [this.registry]);

  readonly endToEnd = new TallyHistogram<'consumer'>(
    'nestjet_end_to_end_latency_seconds',
    'Time from publish (nestjet-published-at header) to handler start',
    LATENCY_BUCKETS,
    [this.registry],
  );

  readonly deadLettered = new Counter({
    name: 'nestjet_dead_lettered_messages_total',
    help: 'DLQ records stored by this process (the transport directly, the DLQ router from an advisory, or the reconciliation sweep), by kind (max_deliveries, terminated); duplicates not counted',
    labelNames: ['stream', 'consumer', 'kind'] as const,
    registers: [this.registry],
  });

  readonly reconciled = new Counter({
    name: 'nestjet_dead_letters_reconciled_total',
    help: 'DLQ records the reconciliation sweep stored for final failures that neither the transport nor the router had stored',
    labelNames: ['stream', 'consumer', 'kind'] as const,
    registers: [this.registry],
  });

  readonly rejectedAdvisories = new Counter({
    name: 'nestjet_rejected_advisories_total',
    help: 'Advisories the DLQ router refused (stored in DLQ_REJECTED), by failed check: forged, malformed or not corroborated',
    labelNames: ['check'] as const,
    registers: [this.registry],
  });

  readonly bound = new Gauge({
    name: 'nestjet_consumer_bound',
    help: 'Durable consumers this process pulls from (1 per binding); sum over pods = workers',
    labelNames: ['consumer'] as const,
    registers: [this.registry],
  });

  constructor() {
    const metrics = this;
    const consumerGauge = (name: string, help: string, pick: (s: ConsumerStats) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['stream', 'consumer'] as const,
        registers: [this.registry],
        async collect() {
          this.reset();
          for (const s of (await metrics.stats())?.consumers ?? []) this.set({ stream: s.stream, consumer: s.consumer }, pick(s));
        },
      });
    consumerGauge('nestjet_consumer_pending_messages', 'Messages not yet delivered to the consumer (num_pending)', (s) => s.pending);
    consumerGauge('nestjet_consumer_ack_pending_messages', 'Delivered, not yet acknowledged (num_ack_pending)', (s) => s.ackPending);
    consumerGauge('nestjet_consumer_redelivered_messages', 'Messages redelivered at least once, still unacked (num_redelivered)', (s) => s.redelivered);
    consumerGauge('nestjet_consumer_waiting_pulls', 'Pull requests waiting on the server (num_waiting)', (s) => s.waiting);
    const streamGauge = (name: string, help: string, pick: (s: StreamStats) => number | null) =>
      new Gauge({
        name,
        help,
        labelNames: ['stream'] as const,
        registers: [this.registry],
        async collect() {
          this.reset();
          for (const s of (await metrics.stats())?.streams ?? []) {
            const v = pick(s);
            if (v !== null) this.set({ stream: s.stream }, v);
          }
        },
      });
    streamGauge('nestjet_stream_bytes', 'Bytes stored in the stream (state.bytes)', (s) => s.bytes);
    streamGauge('nestjet_stream_max_bytes', 'Byte limit of the stream (max_bytes); absent when unlimited', (s) => (s.maxBytes > 0 ? s.maxBytes : null));
    streamGauge('nestjet_stream_messages', 'Messages stored in the stream (state.messages)', (s) => s.messages);
    // Zero from the start, so increase() sees the first rejection and the series exists before any.
    for (const check of ADVISORY_REJECTION_CHECKS) this.rejectedAdvisories.inc({ check }, 0);
    new Gauge({
      name: 'nestjet_dlq_depth_messages',
      help: 'Records in the DLQ stream',
      registers: [this.registry],
      async collect() {
        this.reset();
        const depth = (await metrics.stats())?.dlqDepth;
        if (typeof depth === 'number') this.set(depth);
      },
    });
  }

  /**
   * A topic's publish metrics, bound on first use and kept as plain tallies
   * (TallyCounter, TallyHistogram): prom-client validates and hashes the labels
   * on every call, even of a bound child, which showed in the producer's and
   * the consumer's profiles. Topics and consumers
   * come from the declared topology, so the maps stay small.
   */
  topic(topic: string): TopicMetrics {
    let bound = this.topics.get(topic);
    if (!bound) {
      const published = (result: PublishOutcome) => this.publishedTallies.bind({ topic, result });
      bound = {
        published: { stored: published('stored'), duplicate: published('duplicate'), timeout: published('timeout'), full: published('full'), rejected: published('rejected') },
        publishDuration: this.publishDuration.bind({ topic }),
      };
      this.topics.set(topic, bound);
    }
    return bound;
  }

  /** A consumer's per-delivery metrics, children bound on first use and kept (see `topic`). */
  consumer(consumer: string): ConsumerMetrics {
    let bound = this.consumers.get(consumer);
    if (!bound) {
      const processed = (outcome: ProcessOutcome) => this.processedTallies.bind({ consumer, outcome });
      bound = {
        processed: { ack: processed('ack'), nak: processed('nak'), reschedule: processed('reschedule'), term: processed('term'), skip: processed('skip') },
        handlerDuration: this.handlerDuration.bind({ consumer }),
        endToEnd: this.endToEnd.bind({ consumer }),
      };
      this.consumers.set(consumer, bound);
    }
    return bound;
  }

  /** Where the consumer and DLQ gauges come from; polled on each scrape. */
  useStatsSource(source: () => Promise<BrokerStats>): void {
    this.statsSource = source;
  }

  private statsPromise?: Promise<BrokerStats | undefined>;

  /** One broker round per scrape, shared by every gauge of that scrape. */
  private stats(): Promise<BrokerStats | undefined> {
    if (!this.statsSource) return Promise.resolve(undefined);
    this.statsPromise ??= this.statsSource()
      .catch(() => undefined)
      .finally(() => setTimeout(() => (this.statsPromise = undefined), 100).unref());
    return this.statsPromise;
  }
}

