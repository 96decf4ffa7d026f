import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api/api.client';

interface Paged {
  next: number | null;
}

/**
 * A list the API serves in pages (`limit`, `after`) under a filter: a new
 * filter starts over, `load(filter, after)` appends the page after `after`,
 * and answers for an older filter or page are dropped. `merge` folds a page
 * into the state (`prev` is null when starting over).
 */
export function usePagedList<F extends object, P extends Paged, S>(path: string, pageSize: number, merge: (prev: S | null, page: P) => S) {
  const [filter, setFilter] = useState<F>({} as F);
  const [list, setList] = useState<S | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const generation = useRef(0);

  const load = useCallback(
    async (f: F, after: number | null) => {
      const mine = ++generation.current;
      setLoading(true);
      setError(null);
      try {
        const page = await api.get<P>(path, { ...f, limit: pageSize, ...(after != null ? { after } : {}) });
        if (mine !== generation.current) return;
        setList((prev) => merge(after != null ? prev : null, page));
      } catch (e) {
        if (mine === generation.current) setError(e);
      } finally {
        if (mine === generation.current) setLoading(false);
      }
    },
    // `merge` is a pure function of its arguments: a new one each render changes nothing.
    [path, pageSize],
  );

  useEffect(() => void load(filter, null), [filter, load]);

  /** A new filter: the list starts over. */
  const apply = useCallback((f: F) => {
    setList(null);
    setFilter(f);
  }, []);

  return { filter, apply, list, loading, error, load };
}
