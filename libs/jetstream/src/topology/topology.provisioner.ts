import type { BucketDeclaration, Topology } from '#contracts';
import type { Kvm } from '@nats-io/kv';
import { nanos } from '@nats-io/transport-node';
import { DiscardPolicy, type JetStreamManager } from '@nats-io/jetstream';
import { isNotFound } from '../errors/jetstream-api.errors.js';
import {
  diffConfig,
  FIXED_CONSUMER_FIELDS,
  FIXED_STREAM_FIELDS,
  toConsumerConfig,
  toStreamConfig,
  UPDATABLE_CONSUMER_FIELDS,
  UPDATABLE_STREAM_FIELDS,
  type ConfigDiff,
} from './jetstream-config.mapper.js';

const KEY_EXPIRY_MARKER_TTL_MS = 60_000;

export interface ProvisionResult {
  kind: 'stream' | 'consumer' | 'kv';
  name: string;
  action: 'created' | 'updated' | 'unchanged';
  /** Changes applied by an update. */
  changed: ConfigDiff[];
  /** Differences the server cannot update in place: recreate by hand (data loss) or accept. */
  drift: ConfigDiff[];
}

/**
 * Creates or updates streams and consumers idempotently. Safe to run from many
 * pods at once: when another pod created the object between our look-up and
 * our create, the create fails and the object is looked up again and updated.
 */
export class TopologyProvisioner {
  constructor(
    private readonly jsm: JetStreamManager,
    private readonly kvm?: Kvm,
  ) {}

  async apply(topology: Pick<Topology, 'streams' | 'consumers'> & Partial<Pick<Topology, 'buckets'>>): Promise<ProvisionResult[]> {
    const results: ProvisionResult[] = [];
    for (const stream of topology.streams) results.push(await this.applyStream(toStreamConfig(stream)));
    for (const consumer of topology.consumers) {
      results.push(await this.applyConsumer(consumer.stream, toConsumerConfig(consumer)));
    }
    for (const bucket of topology.buckets ?? []) results.push(await this.applyBucket(bucket));
    return results;
  }

  /**
   * KV buckets are streams named KV_<bucket>: created once; later runs update
   * the size limit in place (and keep discard new, which nats.js sets on
   * create) and report TTL drift.
   */
  private async applyBucket(b: BucketDeclaration): Promise<ProvisionResult> {
    if (!this.kvm) throw new Error('provisioning KV buckets needs a Kvm');
    const base = { kind: 'kv' as const, name: b.name };
    const stream = `KV_${b.name}`;
    const existing = await this.jsm.streams.info(stream).catch((err: unknown) => {
      if (isNotFound(err)) return null;
      throw err;
    });
    if (!existing) {
      // The server accepts a create identical to an existing bucket, so a lost race needs no retry.
      // markerTTL turns on per-message TTLs; the server's delete marker of an expired key lives that long.
      const perKey = b.perKeyTtl ? { markerTTL: KEY_EXPIRY_MARKER_TTL_MS } : {};
      await this.kvm.create(b.name, { description: b.description, ttl: b.ttlMs, replicas: b.replicas, history: 1, max_bytes: b.maxBytes, allow_direct: true, ...perKey });
      return { ...base, action: 'created', changed: [], drift: [] };
    }
    const actual = existing.config as unknown as Record<string, unknown>;
    const drift = diffConfig({ max_age: nanos(b.ttlMs) }, actual, ['max_age']);
    // Direct gets: workers read their own keys by subject, the only reads their users may make (a bucket made by an older nats.js may lack it).
    const desired = { max_bytes: b.maxBytes, discard: DiscardPolicy.New, allow_direct: true };
    const changed = diffConfig(desired, actual, ['max_bytes', 'discard', 'allow_direct']);
    if (changed.length === 0) return { ...base, action: 'unchanged', changed, drift };
    await this.jsm.streams.update(stream, { ...existing.config, ...desired });
    return { ...base, action: 'updated', changed, drift };
  }

  private async applyStream(desired: ReturnType<typeof toStreamConfig>, raced = false): Promise<ProvisionResult> {
    const base = { kind: 'stream' as const, name: desired.name };
    let actual;
    try {
      actual = (await this.jsm.streams.info(desired.name)).config;
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await this.jsm.streams.add(desired);
      } catch (createErr) {
        if (raced) throw createErr;
        return this.applyStream(desired, true);
      }
      return { ...base, action: 'created', changed: [], drift: [] };
    }
    const d = desired as Record<string, unknown>;
    const a = actual as unknown as Record<string, unknown>;
    const drift = diffConfig(d, a, FIXED_STREAM_FIELDS);
    const changed = diffConfig(d, a, UPDATABLE_STREAM_FIELDS);
    if (changed.length === 0) return { ...base, action: 'unchanged', changed, drift };
    await this.jsm.streams.update(desired.name, { ...actual, ...pick(d, changed) });
    return { ...base, action: 'updated', changed, drift };
  }

  private async applyConsumer(stream: string, desired: ReturnType<typeof toConsumerConfig>, raced = false): Promise<ProvisionResult> {
    const durable = desired.durable_name!;
    const base = { kind: 'consumer' as const, name: `${stream}/${durable}` };
    let actual;
    try {
      actual = (await this.jsm.consumers.info(stream, durable)).config;
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await this.jsm.consumers.add(stream, desired);
      } catch (createErr) {
        if (raced) throw createErr;
        return this.applyConsumer(stream, desired, true);
      }
      return { ...base, action: 'created', changed: [], drift: [] };
    }
    const d = desired as Record<string, unknown>;
    const a = actual as unknown as Record<string, unknown>;
    const drift = diffConfig(d, a, FIXED_CONSUMER_FIELDS);
    const changed = diffConfig(d, a, UPDATABLE_CONSUMER_FIELDS);
    if (changed.length === 0) return { ...base, action: 'unchanged', changed, drift };
    const update = pick(d, changed);
    // Switching between one and several filters: clear the other field.
    if ('filter_subject' in update) update.filter_subjects = [];
    if ('filter_subjects' in update) update.filter_subject = '';
    await this.jsm.consumers.update(stream, durable, update);
    return { ...base, action: 'updated', changed, drift };
  }
}

function pick(source: Record<string, unknown>, diffs: ConfigDiff[]): Record<string, unknown> {
  return Object.fromEntries(diffs.map((c) => [c.field, source[c.field]]));
}

export function formatProvisionResults(results: ProvisionResult[]): string {
  const fmt = (v: unknown) => JSON.stringify(v);
  return results
    .map((r) => {
      const lines = [`${r.kind.padEnd(8)} ${r.name.padEnd(32)} ${r.action}`];
      for (const c of r.changed) lines.push(`    updated ${c.field}: ${fmt(c.actual)} -> ${fmt(c.desired)}`);
      for (const c of r.drift) {
        lines.push(`    DRIFT   ${c.field}: server has ${fmt(c.actual)}, declared ${fmt(c.desired)} (cannot be updated in place)`);
      }
      return lines.join('\n');
    })
    .join('\n');
}
