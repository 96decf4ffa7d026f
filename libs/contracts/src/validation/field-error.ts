import type { ValidationError } from 'class-validator';

export interface FieldError {
  field: string;
  messages: string[];
}

/** class-validator's nested errors as one flat list, fields named by their path (`lines[0].sku`). */
export function flattenValidationErrors(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, messages: Object.values(e.constraints) }] : [];
    return [...own, ...flattenValidationErrors(e.children ?? [], field)];
  });
}

/** One line for logs, `detail` and CLI output; the full list stays in the `errors` of the problem. */
export function summarizeFieldErrors(errors: FieldError[]): string {
  const shown = errors.slice(0, 5).map((e) => `${e.field}: ${e.messages.join(', ')}`);
  return shown.join('; ') + (errors.length > 5 ? `; and ${errors.length - 5} more` : '');
}
