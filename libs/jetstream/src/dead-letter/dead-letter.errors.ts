export class DeadLetterNotFoundError extends Error {
  constructor(readonly id: number) {
    super(`no DLQ record ${id}`);
    this.name = 'DeadLetterNotFoundError';
  }
}

/** A replay that cannot be done as asked (nothing left to replay); an invalid edit is a ValidationFailedError. */
export class ReplayRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayRefusedError';
  }
}
