import { JetStreamApiCodes, JetStreamApiError, type JetStreamClient } from '@nats-io/jetstream';
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import { isStreamFull } from '../errors/jetstream-api.errors.js';
import { StreamFullError } from '../errors/publish.errors.js';
import { DLQ_REPLAY_BUCKET } from './dead-letter.constants.js';
import { AlreadyReplayedError } from './dead-letter.errors.js';

/** What the log keeps about a record's latest replay. */
export interface ReplayMark {
  /** Identity of the record (`<stream>:<seq>:<consumer>@<routedAt>`): a DLQ recreated with reused sequences inherits no marks. */
  record: string;
  /** `publishing` until the PubAck; a mark left in that state means the replaying process stopped midway. */
  state: 'publishing' | 'done';
  startedAt: string;
  replayedAt?: string;
  subject: string;
  stream?: string;
  seq?: number;
  msgId: string;
  edited: boolean;
  forced: boolean;
}

/** A held mark: written as `publishing`, then completed or released. */
export interface ReplayClaim {
  key: string;
  revision: number;
  /** The mark this claim replaced (force), restored if the replay fails. */
  previous: ReplayMark | null;
}

const WRONG_LAST = new Set<number>([JetStreamApiCodes.StreamWrongLastSequence, JetStreamApiCodes.StreamWrongLastSequenceUnknown]);

/**
 * Marks replayed DLQ records in a KV bucket keyed by DLQ sequence, so a record
 * is replayed once unless forced: the mark survives restarts and is shared by
 * every producer pod and the CLI. Claims are compare-and-set on the key's
 * revision, so of two concurrent replays exactly one wins.
 */
export class ReplayLog {
  private kv?: Promise<KV>;

  constructor(private readonly js: JetStreamClient) {}

  private store(): Promise<KV> {
    this.kv ??= new Kvm(this.js).open(DLQ_REPLAY_BUCKET);
    // A failed open (bucket not provisioned yet, outage) is retried on the next call.
    this.kv.catch(() => (this.kv = undefined));
    return this.kv;
  }

  static identity(record: { stream: string; streamSequence: number; consumer: string; routedAt: string }): string {
    return `${record.stream}:${record.streamSequence}:${record.consumer}@${record.routedAt}`;
  }

  /** The latest replay of this record, or null. */
  async lastReplay(id: number, identity: string): Promise<ReplayMark | null> {
    return current(await (await this.store()).get(String(id)), identity);
  }

  /** Holds the record for one replay; AlreadyReplayedError when it was replayed (or is being replayed) and `force` is not set. */
  async claim(id: number, mark: ReplayMark, force: boolean): Promise<ReplayClaim> {
    const kv = await this.store();
    const key = String(id);
    const entry = await kv.get(key);
    const previous = current(entry, mark.record);
    if (previous && !force) throw new AlreadyReplayedError(id, previous);
    try {
      const value = JSON.stringify(mark);
      const revision = entry ? await kv.update(key, value, entry.revision) : await kv.create(key, value);
      return { key, revision, previous };
    } catch (err) {
      if (err instanceof JetStreamApiError && WRONG_LAST.has(err.code)) {
        // Another pod (or the CLI) claimed it between our read and our write.
        const winner = current(await kv.get(key), mark.record);
        if (winner) throw new AlreadyReplayedError(id, winner);
      }
      throw this.translated(err);
    }
  }

  async complete(claim: ReplayClaim, mark: ReplayMark): Promise<void> {
    await (await this.store()).update(claim.key, JSON.stringify(mark), claim.revision).catch((err: unknown) => {
      throw this.translated(err);
    });
  }

  /** The replay failed: the record is as replayable as before. */
  async release(claim: ReplayClaim): Promise<void> {
    const kv = await this.store();
    if (claim.previous) await kv.update(claim.key, JSON.stringify(claim.previous), claim.revision);
    else await kv.delete(claim.key, { previousSeq: claim.revision });
  }

  private translated(err: unknown): unknown {
    return isStreamFull(err) ? new StreamFullError(`$KV.${DLQ_REPLAY_BUCKET}`, `KV_${DLQ_REPLAY_BUCKET}`, (err as Error).message, { cause: err }) : err;
  }
}

function current(entry: KvEntry | null, identity: string): ReplayMark | null {
  if (!entry || entry.operation !== 'PUT') return null;
  const mark = entry.json<ReplayMark>();
  return mark.record === identity ? mark : null;
}
