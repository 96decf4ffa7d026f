import { fmtInt } from './format';

/** The footer of a paged list: how many are shown, and a button for the next page while there is one. */
export function LoadMore({ shown, next, loading, onMore }: { shown: number; next: unknown; loading: boolean; onMore: () => void }) {
  return (
    <div class="actions">
      {next != null && (
        <button type="button" onClick={onMore} disabled={loading}>
          Load more
        </button>
      )}
      <p class="muted" aria-live="polite">
        {loading ? 'Loading…' : `Showing ${fmtInt(shown)}${next != null ? '; more available' : ''}.`}
      </p>
    </div>
  );
}
