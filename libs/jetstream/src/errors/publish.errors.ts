/** The broker did not confirm the message within the deadline; it may or may not be stored. */
export class PublishTimeoutError extends Error {
  constructor(
    readonly msgId: string,
    readonly deadlineMs: number,
    options?: ErrorOptions,
  ) {
    super(`JetStream did not confirm message ${msgId} within ${deadlineMs} ms`, options);
    this.name = 'PublishTimeoutError';
  }
}

/** The broker refused the message for a reason a retry cannot fix. */
export class PublishRejectedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PublishRejectedError';
  }
}
