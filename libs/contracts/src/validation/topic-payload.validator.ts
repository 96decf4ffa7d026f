import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { TopicDeclaration } from '../topology/topology.types.js';
import { flattenValidationErrors, type FieldError } from './field-error.js';

/**
 * Validates a payload against its topic's DTO. Strict: unknown fields are
 * refused rather than silently dropped, so a typo is an error, not a lost field.
 * Used by the ingress and by DLQ replays of edited payloads.
 */
export function validateTopicPayload(topic: TopicDeclaration, body: unknown, prefix = ''): FieldError[] {
  // The DTOs have no async constraints; the synchronous validator skips a promise per property.
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return [{ field: prefix || '(body)', messages: ['must be a JSON object'] }];
  }
  const instance = plainToInstance(topic.payload, body);
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  return flattenValidationErrors(errors, prefix);
}
