import type { ConsumerDeclaration } from './topology.types.js';

/**
 * The partition of an ordering key: 32-bit FNV-1a of its UTF-8 bytes, modulo
 * the partition count. Stable across processes, versions and languages, so a
 * producer written in anything else can compute it too.
 */
export function partitionOf(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(key, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}

/** The subject token of a partition: `p0`, `p1`, … */
export function partitionToken(index: number): string {
  return `p${index}`;
}

/** The name handlers and CONSUMERS use: a partitioned consumer's, or the durable's own. */
export function consumerNameOf(c: Pick<ConsumerDeclaration, 'durable' | 'partition'>): string {
  return c.partition?.consumer ?? c.durable;
}
