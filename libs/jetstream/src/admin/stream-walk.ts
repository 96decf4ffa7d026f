import type { JetStreamManager, StoredMsg } from '@nats-io/jetstream';

export interface StreamWalk {
  /** Start after this sequence (the `next` of a previous page). */
  after: number;
  /** Stop at this sequence: a listing reads the stream as it was when it began. */
  last: number;
  /** Only messages on subjects matching this filter (wildcards allowed), skipped by the server. */
  subject?: string;
}

/** A stream's messages, oldest first, one direct get each (the stream needs `allow_direct`). */
export async function* walkStream(jsm: JetStreamManager, stream: string, { after, last, subject }: StreamWalk): AsyncGenerator<StoredMsg> {
  let seq = after + 1;
  while (seq <= last) {
    const m = await jsm.direct.getMessage(stream, subject ? { seq, next_by_subj: subject } : { seq });
    if (!m || m.seq > last) return;
    seq = m.seq + 1;
    yield m;
  }
}
