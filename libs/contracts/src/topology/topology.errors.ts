/** A topic name that the topology does not declare. */
export class UnknownTopicError extends Error {
  constructor(
    readonly topic: string,
    readonly known: string[],
  ) {
    super(`topic "${topic}" does not exist; known topics: ${known.join(', ')}`);
    this.name = 'UnknownTopicError';
  }
}
