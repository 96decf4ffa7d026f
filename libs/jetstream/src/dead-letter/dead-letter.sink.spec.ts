import { describe, expect, it, jest } from '@jest/globals';
import type { JetStreamPublisher, PublishResult } from '../publisher/jetstream.publisher.js';
import { DeadLetterSink, type DeadLetterSource } from './dead-letter.sink.js';
import { deadLetterMsgId } from './dead-letter.writer.js';
import { TERMINATED_FACTS } from './dead-letter-facts.fixture.js';

const facts = TERMINATED_FACTS;

/** A publisher whose PubAck says whether the record was a duplicate. */
function publisher(duplicate: boolean) {
  const publish = jest.fn(async (_subject: string, _data: Uint8Array, _opts: unknown): Promise<PublishResult> => ({ id: 'x', stream: 'DLQ', seq: 3, duplicate }));
  return { publish, asPublisher: { publish } as unknown as JetStreamPublisher };
}

describe('DeadLetterSink', () => {
  it('stores the record under its msgID and counts it once, with the writer that stored it', async () => {
    const { publish, asPublisher } = publisher(false);
    const stored: [string, DeadLetterSource][] = [];
    const sink = new DeadLetterSink(asPublisher, { stored: (f, source) => stored.push([`${f.stream}/${f.consumer}/${f.kind}`, source]) });
    await expect(sink.write('router', facts, new Uint8Array([1]), [])).resolves.toMatchObject({ seq: 3, duplicate: false });
    expect(publish).toHaveBeenCalledWith('dlq.ORDERS.fulfillment', new Uint8Array([1]), expect.objectContaining({ msgId: deadLetterMsgId('ORDERS', 7, 'fulfillment') }));
    expect(stored).toEqual([['ORDERS/fulfillment/terminated', 'router']]);
  });

  it('does not count a record another writer stored first (a duplicate)', async () => {
    const stored = jest.fn();
    const sink = new DeadLetterSink(publisher(true).asPublisher, { stored });
    await sink.write('reconciler', facts, new Uint8Array(), []);
    expect(stored).not.toHaveBeenCalled();
  });
});
