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

/**
 * The stream is full and refuses new messages (`discard: new`): nothing stored
 * was evicted. Space returns when messages age out or are consumed (work
 * queues), or when an operator raises the limit; retrying at once cannot help.
 */
export class StreamFullError extends Error {
  constructor(
    readonly subject: string,
    readonly stream: string | undefined,
    readonly limit: string,
    options?: ErrorOptions,
  ) {
    super(`stream ${stream ?? 'for ' + subject} is full (${limit}); the message was not stored and nothing stored was evicted`, options);
    this.name = 'StreamFullError';
  }
}
