import type { FieldError } from '#contracts';

/**
 * Throw from a handler when retrying cannot help (bad data, a business rule
 * that will never pass). The message is terminated at once and, with the
 * dead-letter router, copied to the DLQ with this error's message as reason.
 */
export class NonRetryableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NonRetryableError';
  }
}

/** The payload could not be decoded or failed validation against its DTO. */
export class PayloadValidationError extends NonRetryableError {
  constructor(
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
    this.name = 'PayloadValidationError';
  }
}
