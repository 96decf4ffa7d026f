import type { PayloadClass, TopicDeclaration, TopicVersion } from './topology.types.js';

/** The version the ingress publishes when the caller names none, and consumers handle by default. */
export function currentVersion(topic: TopicDeclaration): number {
  return topic.version ?? 1;
}

/** Every version of the topic, oldest first, the current one last. */
export function topicVersions(topic: TopicDeclaration): TopicVersion[] {
  return [...(topic.previousVersions ?? []), { version: currentVersion(topic), payload: topic.payload }];
}

export function payloadClassOf(topic: TopicDeclaration, version: number): PayloadClass | undefined {
  return topicVersions(topic).find((v) => v.version === version)?.payload;
}

/** The CloudEvents `type` of a topic's payload version: `orders.created.v1`. */
export function eventTypeOf(topic: string, version: number): string {
  return `${topic}.v${version}`;
}

const EVENT_TYPE = /^(.+)\.v([1-9][0-9]{0,5})$/;

/** The topic and version an event type names; undefined when it is not `<topic>.v<n>`. */
export function parseEventType(type: string): { topic: string; version: number } | undefined {
  const m = EVENT_TYPE.exec(type);
  return m ? { topic: m[1]!, version: Number(m[2]) } : undefined;
}
