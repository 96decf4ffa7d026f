import { flattenValidationErrors, summarizeFieldErrors } from '#contracts';
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
        return new PayloadValidationError(`payload failed validation: ${summarizeFieldErrors(fields)}`, fields);
      },
    });
  }
}
