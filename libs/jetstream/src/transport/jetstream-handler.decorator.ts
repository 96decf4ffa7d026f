import { applyDecorators, Controller, UseFilters, UsePipes } from '@nestjs/common';
import { JetStreamExceptionFilter } from './jetstream-exception.filter.js';
import { JetStreamValidationPipe } from './jetstream-validation.pipe.js';

/**
 * Marks a class of `@EventPattern()` handlers: payloads are validated against
 * the `@Payload()` type (failures are poison, terminated without retry) and
 * errors reach the transport unchanged so it can tell retryable from not.
 */
export function JetStreamHandler(): ClassDecorator {
  return applyDecorators(Controller(), UsePipes(new JetStreamValidationPipe()), UseFilters(new JetStreamExceptionFilter()));
}
