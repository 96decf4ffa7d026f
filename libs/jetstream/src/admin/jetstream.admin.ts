import { consumerNameOf, type Topology } from '#contracts';
import type { ConsumerInfo, JetStreamManager, StreamInfo } from '@nats-io/jetstream';
import type { BrokerStats } from '#telemetry';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { isConnected } from '../connection/nats-connection.js';
import { DLQ_STREAM } from '../dead-letter/dead-letter.constants.js';
import { isNotFound } from '../errors/jetstream-api.errors.js';
import { TopologyProvisioner, type ProvisionResult } from '../topology/topology.provisioner.js';

export interface ReadinessReport {
  connected: boolean;
  missingStreams: string[];
  missingConsumers: string[];
}

/** Views of the topology for the REST ingress, health checks, the operations API and the provision command. */
export class JetStreamAdmin {
  constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly topology: Topology,
  ) {}

  async provision(): Promise<ProvisionResult[]> {
    return new TopologyProvisioner(this.jsm, new Kvm(this.nc)).apply(this.topology);
  }

  async streamInfo(name: string): Promise<StreamInfo | null> {
    try {
      return await this.jsm.streams.info(name);
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async consumerInfo(stream: string, durable: string): Promise<ConsumerInfo | null> {
    try {
      return await this.jsm.consumers.info(stream, durable);
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  /** Stops deliveries to a consumer until `until` (the server resumes it then); pulls wait meanwhile. */
  async pauseConsumer(stream: string, durable: string, until: Date): Promise<{ paused: boolean; pauseUntil: string | null }> {
    const r = await this.jsm.consumers.pause(stream, durable, until);
    return { paused: r.paused, pauseUntil: r.paused ? isoTime(r.pause_until ?? until.toISOString()) : null };
  }

  async resumeConsumer(stream: string, durable: string): Promise<{ paused: boolean; pauseUntil: string | null }> {
    const r = await this.jsm.consumers.resume(stream, durable);
    return { paused: r.paused, pauseUntil: r.paused && r.pause_until ? isoTime(r.pause_until) : null };
  }

  /**
   * Rewinds (or fast-forwards) a consumer to a stream sequence: redelivery
   * starts there, without deleting the durable (nats-server ≥ 2.14, ADR-60).
   * Without `seq` the delivery state is cleared and the ack floor kept.
   */
  async resetConsumer(stream: string, durable: string, seq?: number): Promise<{ resetSeq: number; pending: number; ackPending: number }> {
    const r = await this.jsm.consumers.reset(stream, durable, seq);
    return { resetSeq: r.reset_seq, pending: r.num_pending, ackPending: r.num_ack_pending };
  }

  /** Consumer backlog, DLQ depth and stream fill for the metrics gauges (one round of API calls). */
  async brokerStats(): Promise<BrokerStats> {
    const consumers = await Promise.all(
      this.topology.consumers.map(async (c) => {
        const info = await this.consumerInfo(c.stream, c.durable);
        return info
          ? {
              stream: c.stream,
              consumer: c.durable,
              pending: info.num_pending,
              ackPending: info.num_ack_pending,
              redelivered: info.num_redelivered,
              waiting: info.num_waiting,
            }
          : null;
      }),
    );
    const names = [...this.topology.streams.map((s) => s.name), ...this.topology.buckets.map((b) => `KV_${b.name}`)];
    const infos = await Promise.all(names.map(async (name) => [name, await this.streamInfo(name)] as const));
    const streams = infos.flatMap(([stream, info]) =>
      info ? [{ stream, bytes: info.state.bytes, maxBytes: info.config.max_bytes, messages: info.state.messages }] : [],
    );
    const dlq = infos.find(([name]) => name === DLQ_STREAM)?.[1];
    return { consumers: consumers.filter((c) => c !== null), dlqDepth: dlq ? dlq.state.messages : null, streams };
  }

  /** Ready when connected and every declared stream (and, if asked, consumer) exists. */
  async readiness(consumers: string[] = []): Promise<ReadinessReport> {
    const connected = isConnected(this.nc);
    if (!connected) return { connected, missingStreams: [], missingConsumers: [] };
    const streams = await Promise.all(this.topology.streams.map(async (s) => [s.name, await this.streamInfo(s.name)] as const));
    const wanted = this.topology.consumers.filter((c) => consumers.includes(consumerNameOf(c)));
    const found = await Promise.all(wanted.map(async (c) => [c.durable, await this.consumerInfo(c.stream, c.durable)] as const));
    return {
      connected,
      missingStreams: streams.filter(([, i]) => !i).map(([n]) => n),
      missingConsumers: found.filter(([, i]) => !i).map(([n]) => n),
    };
  }
}

/** The server writes times as Go's RFC 3339 with nanoseconds and trailing zeros dropped; callers get one form (ISO 8601, ms). */
function isoTime(serverTime: string): string {
  return new Date(serverTime).toISOString();
}
