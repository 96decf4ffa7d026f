import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, errorText } from '../api/api.client';
import type { BulkPurgeResult, BulkReplayResult } from '../api/api.types';
import { ConfirmDialog } from '../shared/confirm-dialog';
import { fmtInt } from '../shared/format';
import { isEmptyFilter, type DeadLetterFilter } from './dead-letter-filters';

type Action = 'replay' | 'purge';

interface Props {
  action: Action | null;
  filter: DeadLetterFilter;
  onClose: () => void;
  onDone: (summary: string) => void;
}

function query(filter: DeadLetterFilter, dryRun: boolean) {
  // The API refuses bulk actions without a filter unless told all=true, so "everything" is always a deliberate choice made here.
  return { ...filter, ...(isEmptyFilter(filter) ? { all: 'true' } : {}), ...(dryRun ? { dryRun: 'true' } : {}) };
}

function run(action: Action, filter: DeadLetterFilter, dryRun: boolean): Promise<BulkReplayResult | BulkPurgeResult> {
  return action === 'replay'
    ? api.post<BulkReplayResult>('/v1/dlq/replay', {}, query(filter, dryRun))
    : api.delete<BulkPurgeResult>('/v1/dlq', query(filter, dryRun));
}

/** Bulk replay/purge: always counts with a dry run first, and confirms against that count. */
export function BulkActionDialog({ action, filter, onClose, onDone }: Props) {
  const [matched, setMatched] = useState<{ matched: number; truncated: boolean } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!action) return;
    let live = true;
    setMatched(null);
    setError(null);
    run(action, filter, true).then(
      (r) => live && setMatched({ matched: r.matched, truncated: r.truncated }),
      (e: unknown) => live && setError(errorText(e)),
    );
    return () => {
      live = false;
    };
  }, [action, filter]);

  const close = useCallback(() => {
    setBusy(false);
    onClose();
  }, [onClose]);

  const confirm = async () => {
    if (!action) return;
    setBusy(true);
    setError(null);
    try {
      const r = await run(action, filter, false);
      const summary =
        action === 'replay'
          ? `Replayed ${fmtInt((r as BulkReplayResult).replayed.length)} of ${fmtInt(r.matched)} matching; skipped ${fmtInt((r as BulkReplayResult).skipped.length)} (replayed before or not replayable).`
          : `Purged ${fmtInt((r as BulkPurgeResult).purged)} of ${fmtInt(r.matched)} matching.`;
      onDone(r.truncated ? `${summary} The run stopped at its limit; run it again for the rest.` : summary);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const verb = action === 'purge' ? 'purge' : 'replay';
  const scope = isEmptyFilter(filter) ? 'every dead letter (no filter is applied)' : 'the dead letters matching the applied filters';
  return (
    <ConfirmDialog
      open={action !== null}
      title={action === 'purge' ? 'Purge matching dead letters?' : 'Replay matching dead letters?'}
      confirmLabel={action === 'purge' ? 'Confirm purge' : 'Confirm replay'}
      danger={action === 'purge'}
      busy={busy}
      confirmDisabled={matched === null || matched.matched === 0}
      onConfirm={confirm}
      onClose={close}
    >
      <p>
        This will {verb} {scope}.
      </p>
      {matched === null && !error && <p role="status">Counting matches (dry run)…</p>}
      {matched && (
        <p role="status" class="count">
          {matched.matched === 0
            ? `No dead letter matches; nothing to ${verb}.`
            : `${fmtInt(matched.matched)} dead letter${matched.matched === 1 ? '' : 's'} match${matched.truncated ? ' (counted up to the limit; there may be more)' : ''}.`}
          {action === 'replay' && matched.matched > 0 && ' Records replayed before are skipped.'}
          {action === 'purge' && matched.matched > 0 && ' Purged records cannot be recovered.'}
        </p>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </ConfirmDialog>
  );
}
