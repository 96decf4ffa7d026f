/** A stored message body as the admin API shows it: parsed JSON when it is JSON, else the text; null when empty. */
export function storedPayload(data: Uint8Array): unknown {
  const text = new TextDecoder().decode(data);
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
