import { ValidationFailedError } from '#contracts';

/** For admin routes that take no body (see ApiEmptyJsonBody): nothing, or `{}`; anything else is a 400 rather than silently ignored. */
export function requireEmptyBody(body: unknown): void {
  if (body === undefined) return;
  if (typeof body === 'object' && body !== null && !Array.isArray(body) && Object.keys(body).length === 0) return;
  throw new ValidationFailedError([{ field: 'body', messages: ['must be empty or {}: this operation takes no body'] }]);
}
