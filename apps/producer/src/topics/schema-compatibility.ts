type Schema = Record<string, unknown>;

interface Properties {
  properties: Record<string, Schema>;
  required: Set<string>;
}

function objectOf(schema: Schema): Properties {
  return { properties: (schema.properties ?? {}) as Record<string, Schema>, required: new Set((schema.required ?? []) as string[]) };
}

/** A property's type as a comparable string: its JSON type (with item type), or the definition it refers to. */
function typeOf(schema: Schema | undefined): string {
  if (!schema) return 'nothing';
  if (typeof schema.$ref === 'string') return `ref ${schema.$ref.split('/').pop()}`;
  if (schema.type === 'array') return `array of ${typeOf(schema.items as Schema | undefined)}`;
  return String(schema.type ?? (schema.enum ? 'enum' : 'any'));
}

/**
 * Why `current` cannot stand in for `published`, the schema of a version
 * already on the wire (stored messages, consumers and producers rely on it):
 * a property removed, required or retyped, an allowed value dropped, a limit
 * tightened, in the payload and every definition it nests. Empty: compatible
 * (adding optional fields, loosening limits and documentation changes are).
 * Such a change is a new version with an upcaster, never an edit.
 */
export function breakingChanges(published: Schema, current: Schema, at = ''): string[] {
  const problems: string[] = [];
  const was = objectOf(published);
  const now = objectOf(current);
  for (const [name, before] of Object.entries(was.properties)) {
    const field = at ? `${at}.${name}` : name;
    const after = now.properties[name];
    if (!after) {
      problems.push(`${field}: removed (${was.required.has(name) ? 'required' : 'optional'} in the published version)`);
      continue;
    }
    if (typeOf(before) !== typeOf(after)) problems.push(`${field}: retyped from ${typeOf(before)} to ${typeOf(after)}`);
    problems.push(...narrowed(field, before, after));
  }
  for (const name of now.required) {
    if (!was.required.has(name)) problems.push(`${at ? `${at}.` : ''}${name}: now required (messages of the published version may lack it)`);
  }
  if (published.additionalProperties !== false && current.additionalProperties === false) problems.push(`${at || '(payload)'}: now refuses unknown properties`);
  const defsBefore = (published.$defs ?? {}) as Record<string, Schema>;
  const defsAfter = (current.$defs ?? {}) as Record<string, Schema>;
  for (const [name, def] of Object.entries(defsBefore)) {
    if (defsAfter[name]) problems.push(...breakingChanges(def, defsAfter[name], `$defs.${name}`));
  }
  return problems;
}

const LOWER = ['minimum', 'exclusiveMinimum', 'minLength', 'minItems'] as const;
const UPPER = ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems'] as const;

/** Values the published version allowed that the current one refuses. */
function narrowed(field: string, before: Schema, after: Schema): string[] {
  const problems: string[] = [];
  if (Array.isArray(before.enum)) {
    const allowed = new Set((after.enum ?? before.enum) as unknown[]);
    const dropped = (before.enum as unknown[]).filter((v) => !allowed.has(v));
    if (dropped.length > 0) problems.push(`${field}: no longer allows ${dropped.map((v) => JSON.stringify(v)).join(', ')}`);
  } else if (Array.isArray(after.enum)) {
    problems.push(`${field}: now limited to ${after.enum.length} values`);
  }
  for (const key of LOWER) {
    const b = before[key] as number | undefined;
    const a = after[key] as number | undefined;
    if (a !== undefined && (b === undefined || a > b)) problems.push(`${field}: ${key} raised from ${b ?? 'none'} to ${a}`);
  }
  for (const key of UPPER) {
    const b = before[key] as number | undefined;
    const a = after[key] as number | undefined;
    if (a !== undefined && (b === undefined || a < b)) problems.push(`${field}: ${key} lowered from ${b ?? 'none'} to ${a}`);
  }
  if (before.multipleOf !== after.multipleOf && after.multipleOf !== undefined) problems.push(`${field}: multipleOf changed to ${String(after.multipleOf)}`);
  if (before.pattern !== after.pattern && after.pattern !== undefined) problems.push(`${field}: pattern changed to ${String(after.pattern)}`);
  if (before.type === 'array' && after.type === 'array') problems.push(...narrowed(`${field}[]`, (before.items ?? {}) as Schema, (after.items ?? {}) as Schema));
  return problems;
}
