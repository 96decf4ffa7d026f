import { summarizeFieldErrors, type FieldError } from './field-error.js';

/** Input that failed validation; every problem is in `errors`, one entry per field. */
export class ValidationFailedError extends Error {
  constructor(
    readonly errors: FieldError[],
    message = summarizeFieldErrors(errors),
  ) {
    super(message);
    this.name = 'ValidationFailedError';
  }
}
