import { currentCredential, signOut } from '../session/session.store';

/** RFC 9457 problem details as the API sends them. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  instance?: string;
  errors?: { field: string; messages: string[] }[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.name = 'ApiError';
  }
}

type Query = Record<string, string | number | boolean | undefined | null | ''>;

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

interface RequestOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal;
  /** Sign-in checks a credential that is not the session's yet. */
  credential?: string;
  /** Sign-in reports a 401 itself instead of ending a session that does not exist. */
  keepSessionOn401?: boolean;
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const token = options.credential ?? currentCredential();
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
  if (token) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (method !== 'GET') {
    // The API refuses state-changing requests without a JSON content type (its CSRF guard), even when empty.
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body ?? {});
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body, signal: options.signal, credentials: 'omit', cache: 'no-store' });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, { title: 'Network error', detail: 'The server could not be reached. Check that the producer is running.' });
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let parsed: unknown = undefined;
  if (text !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  if (!res.ok) {
    const problem: Problem =
      parsed && typeof parsed === 'object' ? (parsed as Problem) : { title: res.statusText || `HTTP ${res.status}`, status: res.status };
    if (res.status === 401 && !options.keepSessionOn401) signOut(problem.detail || problem.title || 'Your session ended; sign in again.');
    throw new ApiError(res.status, problem);
  }
  return parsed as T;
}

export const api = {
  get: <T,>(path: string, query?: Query, signal?: AbortSignal) => request<T>(withQuery(path, query), { signal }),
  post: <T,>(path: string, body?: unknown, query?: Query) => request<T>(withQuery(path, query), { method: 'POST', body }),
  delete: <T,>(path: string, query?: Query) => request<T>(withQuery(path, query), { method: 'DELETE' }),
};

export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    const head = e.problem.title && e.problem.detail ? `${e.problem.title}: ${e.problem.detail}` : e.message;
    return e.status === 403 ? `${head} (your credential lacks the scope for this)` : head;
  }
  return e instanceof Error ? e.message : String(e);
}

export const seg = encodeURIComponent;
