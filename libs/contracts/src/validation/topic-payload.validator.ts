import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { currentVersion, payloadClassOf } from '../topology/topic-version.js';
import type { TopicDeclaration } from '../topology/topology.types.js';
import { compiledPayloadCheck } from './compiled-payload.validator.js';
import { flattenValidationErrors, type FieldError } from './field-error.js';
import { PAYLOAD_BOUNDS } from './payload-bounds.js';

/**
 * Validates a payload against the DTO of its topic's version (the current one
 * by default). Strict: unknown fields are refused rather than silently dropped,
 * so a typo is an error, not a lost field. Used by the ingress and by DLQ
 * replays of edited payloads.
 */
export function validateTopicPayload(topic: TopicDeclaration, body: unknown, prefix = '', version = currentVersion(topic)): FieldError[] {
  const dto = payloadClassOf(topic, version);
  if (!dto) return [{ field: prefix || '(body)', messages: [`${topic.name} has no version ${version}`] }];
  if (compiledPayloadCheck(dto)?.(body)) return [];
  return oversizedPayloadErrors(dto, body, prefix) ?? payloadErrors(dto, body, prefix);
}

/**
 * The most values an invalid payload may hold and still be checked field by
 * field by class-validator (≈ 50 ms at most; its cost grows faster than the
 * payload). A valid payload of any size passes the compiled check first.
 */
export const VALIDATION_BUDGET = 5_000;

/** How many values `value` holds, counting stopped past `limit`; iterative. */
function countValues(value: unknown, limit: number): number {
  const stack = [value];
  let count = 0;
  while (stack.length > 0 && count <= limit) {
    const v = stack.pop();
    count++;
    // A payload decoded from JSON or MessagePack holds no binary; one that does is not walked byte by byte.
    if (typeof v === 'object' && v !== null && !ArrayBuffer.isView(v)) for (const child of Object.values(v)) stack.push(child);
  }
  return count;
}

/**
 * The errors of an invalid payload too big for class-validator (10,000 unknown
 * keys took it 0.5 s, 65,535 took 5.7 s, stalling the event loop), found by
 * the compiled check alone; undefined for a payload within the budget, a valid
 * one, or a DTO without a compiled check (class-validator then decides, at its cost).
 */
export function oversizedPayloadErrors(dto: TopicDeclaration['payload'], body: unknown, prefix = ''): FieldError[] | undefined {
  // A valid payload, the common case, costs the compiled check alone: values are counted only for an invalid one.
  const check = compiledPayloadCheck(dto);
  if (!check || check(body)) return undefined;
  if (countValues(body, VALIDATION_BUDGET) <= VALIDATION_BUDGET) return undefined;
  const field = prefix || '(body)';
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return [{ field, messages: ['must be a JSON object'] }];
  return [{ field, messages: [`the payload is invalid and holds more than ${VALIDATION_BUDGET} values, too many to check field by field`] }];
}

/** class-validator's verdict with its messages: the reference the compiled check must agree with. */
export function payloadErrors(dto: TopicDeclaration['payload'], body: unknown, prefix = ''): FieldError[] {
  // The DTOs have no async constraints; the synchronous validator skips a promise per property.
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return [{ field: prefix || '(body)', messages: ['must be a JSON object'] }];
  }
  // class-transformer throws on some of them (`{"orderId": {"constructor": 1}}`, found by the compiled check's fuzz spec).
  const reserved = reservedKeyErrors(body, prefix);
  if (reserved.length > 0) return reserved;
  const instance = plainToInstance(dto, body);
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  return flattenValidationErrors(errors, prefix);
}

/**
 * Keys every object inherits (`constructor`, `valueOf`, `toString`, `__proto__`, …):
 * class-validator's whitelist looks property names up in a plain object, finds
 * these on its prototype and lets them through.
 */
const isReservedKey = (key: string) => key in Object.prototype;

/**
 * Own keys named like Object's inherited members, at any depth. The whitelist
 * check passed `{"constructor": 1}` and `{"valueOf": 1}` beside valid fields
 * (found by the ingress fuzz test), so the unknown field would have been
 * published; JSON parsing already refuses `__proto__` and `constructor.prototype`.
 */
function reservedKeyErrors(value: unknown, path: string, depth = 0): FieldError[] {
  if (typeof value !== 'object' || value === null) return [];
  // Decoded bodies are bounded already; this bounds what reaches it otherwise (a cyclic object given to emit()).
  if (depth >= PAYLOAD_BOUNDS.maxDepth) return [{ field: path || '(body)', messages: [`nested deeper than ${PAYLOAD_BOUNDS.maxDepth} levels`] }];
  if (Array.isArray(value)) return value.flatMap((v, i) => reservedKeyErrors(v, `${path}[${i}]`, depth + 1));
  return Object.keys(value).flatMap((key) => {
    const field = path ? `${path}.${key}` : key;
    const own = isReservedKey(key) ? [{ field, messages: [`property ${key} should not exist`] }] : [];
    return [...own, ...reservedKeyErrors((value as Record<string, unknown>)[key], field, depth + 1)];
  });
}
