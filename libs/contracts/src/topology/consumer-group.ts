import { consumerNameOf } from './partition.js';
import type { ConsumerDeclaration, Topology } from './topology.types.js';

/** Names a group may take (durable names mostly are): part of a NATS user name (`consumer-<group>`) and of an inbox prefix. */
const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** The consumer group a durable belongs to: declared, else its partitioned consumer's name, else the durable itself. */
export function consumerGroupOf(c: ConsumerDeclaration): string {
  return c.group ?? c.partition?.consumer ?? c.durable;
}

/** The topology's consumer groups, in declaration order; a name outside [a-z0-9_-] is a programming error. */
export function consumerGroups(topology: Pick<Topology, 'consumers'>): string[] {
  const groups = [...new Set(topology.consumers.map(consumerGroupOf))];
  const bad = groups.find((g) => !GROUP_NAME.test(g));
  if (bad !== undefined) throw new Error(`consumer group "${bad}" must match ${GROUP_NAME.source}`);
  return groups;
}

/**
 * Each group's consumers by name (a partitioned consumer once, not per partition durable), groups in
 * declaration order: what a deployment per group runs (the chart's files/consumer-groups.json).
 */
export function consumerGroupMembers(topology: Pick<Topology, 'consumers'>): Record<string, string[]> {
  return Object.fromEntries(
    consumerGroups(topology).map((group) => [group, [...new Set(topology.consumers.filter((c) => consumerGroupOf(c) === group).map(consumerNameOf))]]),
  );
}
