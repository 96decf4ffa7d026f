/** The slice of JSON Schema / OpenAPI 3 that nestjs/swagger emits for DTOs. */
export interface Schema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  format?: string;
  description?: string;
  example?: unknown;
  default?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  allOf?: Schema[];
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
}

export interface OpenApiDocument {
  components?: { schemas?: Record<string, Schema> };
}

const MAX_DEPTH = 8;

/**
 * Inlines `$ref`s and folds `allOf` into one object schema. Depth-limited so a
 * self-referencing DTO (a tree) cannot loop forever.
 */
export function resolveSchema(schema: Schema | undefined, doc: OpenApiDocument, depth = 0): Schema {
  if (!schema || depth > MAX_DEPTH) return {};
  if (schema.$ref) {
    const name = schema.$ref.replace(/^#\/components\/schemas\//, '');
    const target = doc.components?.schemas?.[name];
    const { $ref: _ref, ...rest } = schema;
    return resolveSchema({ ...(target ?? {}), ...rest }, doc, depth + 1);
  }
  let out: Schema = { ...schema };
  if (schema.allOf) {
    const parts = schema.allOf.map((s) => resolveSchema(s, doc, depth + 1));
    const { allOf: _all, ...own } = schema;
    out = parts.reduce<Schema>(
      (acc, p) => ({
        ...p,
        ...acc,
        properties: { ...(p.properties ?? {}), ...(acc.properties ?? {}) },
        required: [...new Set([...(p.required ?? []), ...(acc.required ?? [])])],
        type: acc.type ?? p.type,
      }),
      own,
    );
  }
  if (out.properties) {
    out.properties = Object.fromEntries(Object.entries(out.properties).map(([k, v]) => [k, resolveSchema(v, doc, depth + 1)]));
    if (!out.type) out.type = 'object';
  }
  if (out.items) out.items = resolveSchema(out.items, doc, depth + 1);
  return out;
}

export function typeOf(schema: Schema): string {
  const t = Array.isArray(schema.type) ? schema.type.find((x) => x !== 'null') : schema.type;
  if (t) return t;
  if (schema.enum) return typeof schema.enum[0] === 'number' ? 'number' : 'string';
  if (schema.properties) return 'object';
  if (schema.items) return 'array';
  return 'string';
}

/** An example value built from the schema: its own examples first, then type defaults. */
export function exampleOf(schema: Schema, depth = 0): unknown {
  if (schema.example !== undefined) return schema.example;
  if (schema.default !== undefined) return schema.default;
  if (schema.enum && schema.enum.length > 0) return schema.enum[0];
  if (depth > MAX_DEPTH) return null;
  switch (typeOf(schema)) {
    case 'object':
      return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, v]) => [k, exampleOf(v, depth + 1)]));
    case 'array':
      return schema.items ? [exampleOf(schema.items, depth + 1)] : [];
    case 'integer':
      return schema.minimum ?? 0;
    case 'number':
      return schema.minimum ?? 0;
    case 'boolean':
      return false;
    default:
      return '';
  }
}
