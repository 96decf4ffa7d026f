import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'overview' }
  | { page: 'consumer'; stream: string; name: string }
  | { page: 'dlq' }
  | { page: 'dead-letter'; id: string }
  | { page: 'publish' }
  | { page: 'trace'; traceId: string }
  | { page: 'audit' }
  | { page: 'not-found'; path: string };

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

export function parseHash(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  const parts = path.split('/').filter(Boolean).map(decode);
  if (parts.length === 0) return { page: 'overview' };
  const [head, a, b] = parts;
  if (head === 'consumers' && parts.length === 3) return { page: 'consumer', stream: a!, name: b! };
  if (head === 'dlq' && parts.length === 1) return { page: 'dlq' };
  if (head === 'dlq' && parts.length === 2) return { page: 'dead-letter', id: a! };
  if (head === 'publish' && parts.length === 1) return { page: 'publish' };
  if (head === 'traces' && parts.length === 2) return { page: 'trace', traceId: a! };
  if (head === 'audit' && parts.length === 1) return { page: 'audit' };
  return { page: 'not-found', path };
}

export const href = {
  overview: () => '#/',
  consumer: (stream: string, name: string) => `#/consumers/${encodeURIComponent(stream)}/${encodeURIComponent(name)}`,
  dlq: () => '#/dlq',
  deadLetter: (id: number | string) => `#/dlq/${encodeURIComponent(String(id))}`,
  publish: () => '#/publish',
  trace: (traceId: string) => `#/traces/${encodeURIComponent(traceId)}`,
  audit: () => '#/audit',
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseHash(location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
