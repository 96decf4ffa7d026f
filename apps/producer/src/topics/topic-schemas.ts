import { topicVersions, type PayloadClass, type TopicDeclaration } from '#contracts';
import { getSchemaPath, type OpenAPIObject } from '@nestjs/swagger';

export const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

type SchemaObject = Record<string, unknown>;
const COMPONENT_REF = '#/components/schemas/';

/** The component name @nestjs/swagger gives a DTO class. */
export function componentOf(payload: PayloadClass): string {
  return getSchemaPath(payload).slice(COMPONENT_REF.length);
}

/** Component names a schema refers to, directly or through others. */
function reachable(components: Record<string, SchemaObject>, roots: string[]): Set<string> {
  const seen = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (typeof value !== 'object' || value === null) return;
    const ref = (value as { $ref?: unknown }).$ref;
    if (typeof ref === 'string' && ref.startsWith(COMPONENT_REF)) {
      const name = ref.slice(COMPONENT_REF.length);
      if (!seen.has(name)) {
        seen.add(name);
        visit(components[name]);
      }
    }
    Object.values(value).forEach(visit);
  };
  roots.forEach((name) => visit({ $ref: COMPONENT_REF + name }));
  return seen;
}

function componentsOf(document: OpenAPIObject): Record<string, SchemaObject> {
  return (document.components?.schemas ?? {}) as Record<string, SchemaObject>;
}

/**
 * Payload DTOs refuse unknown fields (the validator's whitelist), so their
 * schemas, and those of the DTOs nested in them, say `additionalProperties: false`.
 */
export function closePayloadSchemas(document: OpenAPIObject, topics: readonly TopicDeclaration[]): void {
  const components = componentsOf(document);
  const roots = topics.flatMap((t) => topicVersions(t).map((v) => componentOf(v.payload)));
  for (const name of reachable(components, roots)) {
    const schema = components[name];
    if (schema?.type === 'object' || schema?.properties) schema.additionalProperties = false;
  }
}

/**
 * The JSON Schema (2020-12) of one version of a topic's payload, from the
 * OpenAPI document's own component: what the ingress validates, with the
 * DTOs it nests under `$defs`.
 */
export function topicSchema(document: OpenAPIObject, topic: TopicDeclaration, version: number, id: string): SchemaObject | undefined {
  const payload = topicVersions(topic).find((v) => v.version === version)?.payload;
  if (!payload) return undefined;
  const components = componentsOf(document);
  const root = componentOf(payload);
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (typeof value !== 'object' || value === null) return value;
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? v.replace(COMPONENT_REF, '#/$defs/') : rewrite(v)]),
    );
  };
  const defs = [...reachable(components, [root])].filter((name) => name !== root);
  return {
    $schema: JSON_SCHEMA_DIALECT,
    $id: id,
    title: `${topic.name} version ${version}`,
    description: topic.description,
    ...(rewrite(components[root]) as SchemaObject),
    ...(defs.length > 0 ? { $defs: Object.fromEntries(defs.map((name) => [name, rewrite(components[name])])) } : {}),
  };
}

/** Where the ingress serves a version's schema: `ce-dataschema` of every message it stores, `$id` of the schema. */
export function schemaUrlOf(publicUrl: string, topic: string, version: number): string {
  return `${publicUrl.replace(/\/+$/, '')}/v1/topics/${encodeURIComponent(topic)}/schema?version=${version}`;
}
