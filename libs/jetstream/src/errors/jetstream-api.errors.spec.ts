import { describe, expect, it } from '@jest/globals';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { errors } from '@nats-io/transport-node';
import { isBrokerUnavailable, isNotFound, isStreamFull } from './jetstream-api.errors.js';

// The errors nats.js builds from the server's API answers ({code, err_code, description}).
const apiError = (code: number, err_code: number, description: string) => new JetStreamApiError({ code, err_code, description });

describe('JetStream error predicates', () => {
  const noMessage = apiError(404, JetStreamApiCodes.NoMessageFound, 'no message found');
  const noStream = apiError(404, JetStreamApiCodes.StreamNotFound, 'stream not found');
  const noConsumer = apiError(404, JetStreamApiCodes.ConsumerNotFound, 'consumer not found');
  const unavailable = apiError(503, 10008, 'JetStream system temporarily unavailable');

  it('recognises absence by error code', () => {
    for (const e of [noMessage, noStream, noConsumer]) expect(isNotFound(e)).toBe(true);
  });

  it('never takes an outage for an absence, whatever the message says', () => {
    expect(isNotFound(unavailable)).toBe(false);
    expect(isNotFound(apiError(503, 10008, 'no message found'))).toBe(false);
    expect(isNotFound(new Error('no message found'))).toBe(false);
    expect(isNotFound(new errors.TimeoutError())).toBe(false);
  });

  it('tells an outage from a refusal', () => {
    expect(isBrokerUnavailable(unavailable)).toBe(true);
    expect(isBrokerUnavailable(new errors.TimeoutError())).toBe(true);
    expect(isBrokerUnavailable(noMessage)).toBe(false);
    expect(isBrokerUnavailable(apiError(400, 10060, 'expected stream does not match'))).toBe(false);
  });

  it('retries the answers that only say "not yet" (seen in the fault suite under a leader kill)', () => {
    // A retry arriving while the clustered leader still proposes the first copy; then the duplicate ack follows.
    expect(isBrokerUnavailable(apiError(409, 10158, 'duplicate message id is in process'))).toBe(true);
    expect(isBrokerUnavailable(apiError(429, 10167, 'too many requests'))).toBe(true);
    expect(isBrokerUnavailable(apiError(400, 10071, 'wrong last sequence: 5'))).toBe(false);
  });

  it('tells a full discard-new stream from an outage (both 503 with nats-server 2.15)', () => {
    // The answers nats-server 2.15.2 gives a discard-new stream at max_bytes, max_msgs and max_msgs_per_subject.
    for (const description of ['maximum bytes exceeded', 'maximum messages exceeded', 'maximum messages per subject exceeded']) {
      const full = apiError(503, 10077, description);
      expect(isStreamFull(full)).toBe(true);
      expect(isBrokerUnavailable(full)).toBe(false);
    }
    expect(isStreamFull(apiError(503, 10077, 'message size exceeds maximum allowed'))).toBe(false);
    expect(isStreamFull(unavailable)).toBe(false);
    expect(isStreamFull(new Error('maximum bytes exceeded'))).toBe(false);
  });
});
