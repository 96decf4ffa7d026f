import type { BatchItemResultDto } from './dto/publish-result.dto.js';

/** No message of a batch was confirmed by JetStream; `results` says what happened to each. */
export class BatchNotConfirmedError extends Error {
  constructor(readonly results: BatchItemResultDto[]) {
    super('no message of the batch was confirmed by JetStream');
    this.name = 'BatchNotConfirmedError';
  }
}

/** The same Idempotency-Key (for this caller and topic) came with a different payload than the stored message. */
export class IdempotencyKeyReusedError extends Error {
  constructor(
    readonly key: string,
    readonly originalSeq: number,
  ) {
    super(`Idempotency-Key "${key}" was already used for a different payload (stored as seq ${originalSeq})`);
    this.name = 'IdempotencyKeyReusedError';
  }
}
