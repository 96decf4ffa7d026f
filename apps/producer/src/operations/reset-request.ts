import { ValidationFailedError } from '#contracts';

/** `{}` (clear the delivery state, keep the ack floor) or `{"seq": <stream sequence ≥ 1>}` (deliver again from there). */
export function parseResetRequest(body: unknown): { seq?: number } {
  // An empty body is none; a JSON null is a body, and not an object.
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ValidationFailedError([{ field: 'body', messages: ['must be an object: {} or {"seq": <stream sequence>}'] }]);
  const { seq, ...rest } = body as Record<string, unknown>;
  const errors = Object.keys(rest).map((k) => ({ field: k, messages: ['is not a field of reset; only "seq" is'] }));
  if (seq !== undefined && !(typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 1)) {
    errors.push({ field: 'seq', messages: ['must be a stream sequence: an integer from 1'] });
  }
  if (errors.length > 0) throw new ValidationFailedError(errors);
  return seq === undefined ? {} : { seq: seq as number };
}
