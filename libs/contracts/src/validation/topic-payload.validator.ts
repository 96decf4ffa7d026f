import type { TopicDeclaration } from '#contracts';
import { flattenValidationErrors } from '#jetstream';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { FieldError } from '../problem/problem-details.js';

/**
 * Validates a payload against its topic's DTO. Strict at the edge: unknown
 * fields are refused rather than silently dropped, so a typo is a 400, not a
 * lost field.
 */
export async function validatePayload(topic: TopicDeclaration, body: unknown, prefix = ''): Promise<FieldError[]> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return [{ field: prefix || '(body)', messages: ['must be a JSON object'] }];
  }
  const instance = plainToInstance(topic.payload, body);
  const errors = await validate(instance, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  return flattenValidationErrors(errors, prefix);
}
