import type { FieldError } from '#contracts';

export class DeadLetterNotFoundError extends Error {
  constructor(readonly id: number) {
    super(`no DLQ record ${id}`);
    this.name = 'DeadLetterNotFoundError';
  }
}

/** A replay that cannot be done as asked: an invalid edited payload, or nothing left to replay. */
export class ReplayRefusedError extends Error {
  constructor(
    message: string,
    readonly errors: FieldError[] = [],
    readonly conflict = false,
  ) {
    super(message);
    this.name = 'ReplayRefusedError';
  }
}
