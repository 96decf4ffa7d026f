import type { BatchItemResultDto } from './dto/publish-result.dto.js';

/** No message of a batch was confirmed by JetStream; `results` says what happened to each. */
export class BatchNotConfirmedError extends Error {
  constructor(readonly results: BatchItemResultDto[]) {
    super('no message of the batch was confirmed by JetStream');
    this.name = 'BatchNotConfirmedError';
  }
}
