import { flattenValidationErrors } from '#contracts';
import { ValidationPipe } from '@nestjs/common';
import { PayloadValidationError } from '../errors/non-retryable.error.js';

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
        const fields = flattenValidationErrors(errors);
        const summary = fields.map((f) => `${f.field}: ${f.messages.join(', ')}`).join('; ');
        return new PayloadValidationError(`payload failed validation: ${summary}`, fields);
      },
    });
  }
}
