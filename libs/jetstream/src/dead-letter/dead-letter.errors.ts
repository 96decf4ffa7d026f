import type { ReplayMark } from './replay-log.js';

export class DeadLetterNotFoundError extends Error {
  constructor(readonly id: number) {
    super(`no DLQ record ${id}`);
    this.name = 'DeadLetterNotFoundError';
  }
}

/** A replay that cannot be done as asked: nothing left to replay, or a target that is not a declared topic subject. */
export class ReplayRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayRefusedError';
  }
}

/** The record was replayed before; `force` replays it again. */
export class AlreadyReplayedError extends ReplayRefusedError {
  constructor(
    readonly id: number,
    readonly previous: ReplayMark,
  ) {
    super(
      previous.state === 'done'
        ? `record ${id} was already replayed at ${previous.replayedAt} to ${previous.subject} (${previous.stream} seq ${previous.seq}); replay with force=true to send it again`
        : `a replay of record ${id} started at ${previous.startedAt} and never reported its outcome (process stopped?); check ${previous.subject} and replay with force=true if it is missing`,
    );
    this.name = 'AlreadyReplayedError';
  }
}

/** The replay would be stored but the consumer that failed it would never see it (its filter does not cover the subject). */
export class ReplayUnreachableError extends ReplayRefusedError {
  constructor(
    message: string,
    /** The subject came from an edited payload (the request is at fault), not from the record. */
    readonly edited: boolean,
  ) {
    super(message);
    this.name = 'ReplayUnreachableError';
  }
}
