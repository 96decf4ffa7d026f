import { defaultMetadataStorage } from 'class-transformer/cjs/storage.js';
import { getMetadataStorage, ValidationTypes, type ValidationArguments } from 'class-validator';

/** True when the value passes; false means "maybe not": class-validator then decides and says why. */
export type PayloadCheck = (value: unknown) => boolean;

type Constructor = abstract new (...args: never[]) => unknown;
type FieldCheck = (value: unknown, owner: object) => boolean;

interface CompiledClass {
  known: Set<string>;
  fields: { name: string; check: FieldCheck }[];
}

const compiled = new WeakMap<Constructor, PayloadCheck | null>();

/**
 * A yes/no validator compiled once from a DTO's class-validator metadata, for
 * the ingress's hot path: the same constraint functions class-validator calls,
 * without `plainToInstance`, `ValidationError` objects or the per-call
 * metadata lookups (10 % of the producer's CPU in the profile). It is at least
 * as strict as `validateSync` with whitelist, forbidNonWhitelisted and
 * forbidUnknownValues (own keys named like Object's members are unknown here),
 * so a `false` only sends the payload to class-validator for its messages.
 * DTOs using features it does not model (groups, `always`, async or
 * promise validation, discriminated `@Type`) get no compiled check (undefined).
 */
export function compiledPayloadCheck(dto: Constructor): PayloadCheck | undefined {
  if (!compiled.has(dto)) {
    const cls = compileClass(dto, new Set());
    compiled.set(dto, cls ? (value) => checkObject(cls, value) : null);
  }
  return compiled.get(dto) ?? undefined;
}

function checkObject(cls: CompiledClass, value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  for (const key of Object.keys(value)) if (!cls.known.has(key)) return false;
  for (const field of cls.fields) if (!field.check((value as Record<string, unknown>)[field.name], value)) return false;
  return true;
}

function compileClass(dto: Constructor, compiling: Set<Constructor>): CompiledClass | undefined {
  if (compiling.has(dto)) return undefined; // recursive DTOs stay with class-validator
  compiling.add(dto);
  const storage = getMetadataStorage();
  const metadatas = storage.getTargetValidationMetadatas(dto as unknown as Function, '', false, false, undefined);
  if (metadatas.length === 0) return undefined; // forbidUnknownValues refuses any value of a class without rules
  const byProperty = storage.groupByPropertyName(metadatas);
  const fields: CompiledClass['fields'] = [];
  for (const [name, rules] of Object.entries(byProperty)) {
    const check = compileField(dto, name, rules, compiling);
    if (!check) return undefined;
    fields.push({ name, check });
  }
  compiling.delete(dto);
  return { known: new Set(Object.keys(byProperty)), fields };
}

type Rule = ReturnType<ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']>[number];

function compileField(dto: Constructor, name: string, rules: Rule[], compiling: Set<Constructor>): FieldCheck | undefined {
  if (rules.some((r) => r.always !== undefined || (r.groups?.length ?? 0) > 0)) return undefined;
  const conditions: ((owner: object, value: unknown) => boolean)[] = [];
  const checks: FieldCheck[] = [];
  for (const rule of rules) {
    switch (rule.type) {
      case ValidationTypes.WHITELIST:
        break;
      case ValidationTypes.CONDITIONAL_VALIDATION:
        conditions.push(rule.constraints[0] as (owner: object, value: unknown) => boolean);
        break;
      case ValidationTypes.CUSTOM_VALIDATION:
      case ValidationTypes.IS_DEFINED: {
        const check = compileConstraint(rule);
        if (!check) return undefined;
        checks.push(check);
        break;
      }
      case ValidationTypes.NESTED_VALIDATION: {
        const check = compileNested(dto, name, compiling);
        if (!check) return undefined;
        checks.push(check);
        break;
      }
      default:
        return undefined;
    }
  }
  return (value, owner) => {
    for (const applies of conditions) if (!applies(owner, value)) return true;
    for (const check of checks) if (!check(value, owner)) return false;
    return true;
  };
}

function compileConstraint(rule: Rule): FieldCheck | undefined {
  const constraints = getMetadataStorage().getTargetValidatorConstraints(rule.constraintCls);
  if (constraints.length === 0 || constraints.some((c) => c.async)) return undefined;
  const validators = constraints.map((c) => c.instance as { validate(value: unknown, args: ValidationArguments): unknown });
  const validateIf = rule.validateIf;
  return (value, owner) => {
    if (validateIf && !validateIf(owner, value)) return true;
    const args: ValidationArguments = { targetName: owner.constructor?.name ?? '', property: rule.propertyName, object: owner, value, constraints: rule.constraints };
    const items = rule.each && Array.isArray(value) ? value : [value];
    // `=== true`: a promise (an async validator in disguise) is not a pass.
    for (const v of validators) for (const item of items) if (v.validate(item, args) !== true) return false;
    return true;
  };
}

/** `@ValidateNested()` with `@Type(() => Dto)`: an object, or an array of objects, each a valid Dto. */
function compileNested(dto: Constructor, name: string, compiling: Set<Constructor>): FieldCheck | undefined {
  const type = defaultMetadataStorage.findTypeMetadata(dto as unknown as Function, name);
  if (!type || type.options?.discriminator) return undefined;
  const nested = compileClass(type.typeFunction() as Constructor, compiling);
  if (!nested) return undefined;
  return (value) => {
    if (value === undefined) return true;
    if (Array.isArray(value)) return value.every((item) => checkObject(nested, item));
    return checkObject(nested, value);
  };
}
