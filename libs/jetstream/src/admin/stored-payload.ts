import { codecOfContentType } from '../codec/payload-codec.js';

/**
 * A stored message body as the admin API shows it: decoded by its
 * `content-type` (none is JSON; MessagePack is shown as the JSON it holds),
 * else the text; null when empty.
 */
export function storedPayload(data: Uint8Array, contentType?: string): unknown {
  if (data.byteLength === 0) return null;
  const codec = codecOfContentType(contentType);
  try {
    if (codec) return codec.decode(data);
  } catch {
    // Not what it claims to be: shown as text, as before codecs.
  }
  return new TextDecoder().decode(data);
}
