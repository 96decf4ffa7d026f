import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { PayloadValidationError } from '../errors/non-retryable.error.js';

function flatten(errors: ValidationError[], prefix = ''): { field: string; messages: string[] }[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, messages: Object.values(e.constraints) }] : [];
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/**
 * Validates `@Payload()` against its DTO class. A failure is a poison message,
 * so it becomes a `PayloadValidationError`: terminated, not retried.
 */
export class JetStreamValidationPipe extends ValidationPipe {
  constructor() {
    super({
      transform: true,
      whitelist: true,
      exceptionFactory: (errors) => {
        const fields = flatten(errors);
        const summary = fields.map((f) => `${f.field}: ${f.messages.join(', ')}`).join('; ');
        return new PayloadValidationError(`payload failed validation: ${summary}`, fields);
      },
    });
  }
}

export { flatten as flattenValidationErrors };
