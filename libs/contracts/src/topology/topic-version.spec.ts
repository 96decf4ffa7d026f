import { describe, expect, it } from '@jest/globals';
import { currentVersion, eventTypeOf, parseEventType, payloadClassOf, topicVersions } from './topic-version.js';
import type { TopicDeclaration } from './topology.types.js';

class V1 {}
class V2 {}
const topic = { name: 't.x', stream: 'S', description: '', payload: V2, version: 2, previousVersions: [{ version: 1, payload: V1 }], route: () => [] } satisfies TopicDeclaration;

describe('topic versions', () => {
  it('lists versions oldest first and finds each DTO', () => {
    expect(topicVersions(topic).map((v) => v.version)).toEqual([1, 2]);
    expect(payloadClassOf(topic, 1)).toBe(V1);
    expect(payloadClassOf(topic, 2)).toBe(V2);
    expect(payloadClassOf(topic, 3)).toBeUndefined();
  });

  it('defaults to version 1', () => {
    expect(currentVersion({ ...topic, version: undefined, previousVersions: undefined })).toBe(1);
  });

  it('names and parses event types', () => {
    expect(eventTypeOf('orders.created', 2)).toBe('orders.created.v2');
    expect(parseEventType('orders.created.v2')).toEqual({ topic: 'orders.created', version: 2 });
    for (const bad of ['orders.created', 'orders.created.v0', 'orders.created.v', '.v1x', 'orders.created.v01']) {
      expect(parseEventType(bad)).toBeUndefined();
    }
  });
});
