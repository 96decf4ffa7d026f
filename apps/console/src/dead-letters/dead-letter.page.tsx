import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError, errorText, seg, type Problem } from '../api/api.client';
import type { DeadLetter, ReplayMark, ReplayResult } from '../api/api.types';
import { href } from '../shell/hash-router';
import { ConfirmDialog } from '../shared/confirm-dialog';
import { fmtClock, fmtInt, fmtTime } from '../shared/format';
import { FieldErrors } from '../shared/problem-list';
import { Empty, ErrorNote, Loading } from '../shared/status';

function initialText(payload: unknown): string {
  if (typeof payload === 'string') return payload;
  return payload === null || payload === undefined ? '' : JSON.stringify(payload, null, 2);
}

/** Same JSON value, whatever the formatting: re-indenting is not an edit. */
function sameValue(text: string, original: unknown): boolean {
  try {
    return JSON.stringify(JSON.parse(text)) === JSON.stringify(original);
  } catch {
    return text === initialText(original);
  }
}

type Parsed = { ok: true; value: unknown } | { ok: false; message: string };

function parse(text: string): Parsed {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, message: e instanceof Error ? e.message : 'not valid JSON' };
  }
}

export function DeadLetterPage({ id }: { id: string }) {
  useEffect(() => void (document.title = `Dead letter #${id} · nestjet console`), [id]);
  const [record, setRecord] = useState<DeadLetter | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [text, setText] = useState('');
  const [touched, setTouched] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [conflict, setConflict] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [purgeOpen, setPurgeOpen] = useState(false);
  const [purgeError, setPurgeError] = useState<string | null>(null);

  const load = useCallback(async () => {
    setLoading(true);
    setLoadError(null);
    try {
      const r = await api.get<DeadLetter>(`/v1/dlq/${seg(id)}`);
      setRecord(r);
      setText((current) => (touched ? current : initialText(r.payload)));
    } catch (e) {
      setLoadError(e);
    } finally {
      setLoading(false);
    }
  }, [id, touched]);

  useEffect(() => void load(), [id]);

  const parsed = useMemo(() => (touched ? parse(text) : null), [text, touched]);
  const edited = record !== null && touched && !sameValue(text, record.payload);

  const replay = async (force: boolean) => {
    if (!record) return;
    setProblem(null);
    setConflict(null);
    let body: Record<string, unknown> = {};
    if (edited) {
      const p = parse(text);
      if (!p.ok) return; // the parse error is already shown next to the editor
      body = { payload: p.value };
    }
    setBusy(true);
    try {
      await api.post<ReplayResult>(`/v1/dlq/${seg(id)}/replay`, body, force ? { force: 'true' } : undefined);
      // The record now carries the server's replay mark: that is what the page shows.
      await load();
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) setConflict(errorText(e));
      else if (e instanceof ApiError && (e.status === 400 || e.status === 422)) setProblem(e.problem);
      else setProblem({ title: 'Replay failed', detail: errorText(e) });
    } finally {
      setBusy(false);
    }
  };

  const purge = async () => {
    setBusy(true);
    setPurgeError(null);
    try {
      await api.delete(`/v1/dlq/${seg(id)}`);
      setPurgeOpen(false);
      location.hash = href.dlq();
    } catch (e) {
      setPurgeError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const closePurge = useCallback(() => {
    setPurgeOpen(false);
    setPurgeError(null);
  }, []);

  // A mark still 'publishing' is a replay in progress (or one that stopped midway), not a replay.
  const replayInfo = record?.replay?.state === 'done' ? record.replay : null;
  const describedBy = [parsed && !parsed.ok ? 'payload-parse-error' : '', problem ? 'payload-errors' : '', 'payload-hint']
    .filter(Boolean)
    .join(' ');

  return (
    <section class="page">
      {/* Not named "Dead letters": that is the main navigation's link, and one name should mean one link. */}
      <p class="crumbs">
        <a href={href.dlq()}>← Back to the list</a>
      </p>
      <div class="page-head">
        <h1>Dead letter #{id}</h1>
      </div>
      {loadError != null &&
        (loadError instanceof ApiError && loadError.status === 404 ? (
          <Empty>
            There is no dead letter #{id}; it may have been purged. <a href={href.dlq()}>Back to the list</a>.
          </Empty>
        ) : (
          <ErrorNote error={loadError} retry={() => void load()} />
        ))}
      {loading && !record && <Loading what={`dead letter #${id}`} />}
      {record && (
        <>
          <div class="record-summary panel">
            <p>
              <strong>{record.subject}</strong> on {record.stream} #{fmtInt(record.streamSequence)}, failed in consumer{' '}
              <a href={href.consumer(record.stream, record.consumer)}>{record.consumer}</a>
            </p>
            {replayInfo && (
              <p class="badge ok replayed" role="status">
                Replayed at {fmtClock(replayInfo.replayedAt ?? replayInfo.startedAt)} → {replayInfo.stream} #{fmtInt(replayInfo.seq ?? 0)}
                {replayInfo.edited ? ' (edited payload)' : ''}
                {replayInfo.forced ? ' (forced)' : ''}
              </p>
            )}
            <p class="links">
              {record.traceId ? (
                <a href={href.trace(record.traceId)}>View trace</a>
              ) : (
                <span class="muted">No trace id recorded</span>
              )}
            </p>
          </div>

          <section class="panel" aria-labelledby="payload-heading">
            <h2 id="payload-heading">Payload</h2>
            {record.originalMissing && (
              <p class="warn-note">The original message was gone before it was dead-lettered: there is no payload to replay unless you write one.</p>
            )}
            <label for="payload">Payload (JSON)</label>
            <textarea
              id="payload"
              class="code"
              rows={Math.min(24, Math.max(6, text.split('\n').length + 1))}
              spellcheck={false}
              value={text}
              aria-invalid={(parsed && !parsed.ok) || problem ? true : undefined}
              aria-describedby={describedBy}
              onInput={(e) => {
                setTouched(true);
                // Errors the server found describe the text that was sent, not this one.
                setProblem(null);
                setConflict(null);
                setText(e.currentTarget.value);
              }}
            />
            <p id="payload-hint" class="muted">
              {edited ? 'Edited: Replay sends this payload (validated like the ingress).' : 'Unchanged: Replay sends the original message.'}
            </p>
            {parsed && !parsed.ok && (
              <p id="payload-parse-error" class="error" role="alert">
                Not valid JSON: {parsed.message}
              </p>
            )}
            {problem && <FieldErrors id="payload-errors" problem={problem} />}
            {conflict && (
              <div class="error" role="alert">
                <p>{conflict}</p>
                <button type="button" onClick={() => void replay(true)} disabled={busy}>
                  Replay again
                </button>
              </div>
            )}
            <div class="actions">
              <button type="button" class="primary" onClick={() => void replay(false)} disabled={busy || (parsed !== null && !parsed.ok)}>
                Replay
              </button>
              <button type="button" class="danger" onClick={() => setPurgeOpen(true)} disabled={busy}>
                Purge
              </button>
            </div>
          </section>

          <section class="panel" aria-labelledby="reason-heading">
            <h2 id="reason-heading">Reason</h2>
            <p class="reason-text">{record.reason || '—'}</p>
            <dl class="config">
              <div>
                <dt>Kind</dt>
                <dd>{record.kind}</dd>
              </div>
              <div>
                <dt>Error</dt>
                <dd>{record.errorName || '—'}</dd>
              </div>
              <div>
                <dt>Handler</dt>
                <dd>{record.handler || 'unknown'}</dd>
              </div>
            </dl>
          </section>

          <section class="panel" aria-labelledby="attempts-heading">
            <h2 id="attempts-heading">Attempts</h2>
            <dl class="config">
              <div>
                <dt>Deliveries</dt>
                <dd>{fmtInt(record.deliveryCount)}</dd>
              </div>
              <div>
                <dt>First failure</dt>
                <dd>{fmtTime(record.firstFailureAt)}</dd>
              </div>
              <div>
                <dt>Last failure</dt>
                <dd>{fmtTime(record.lastFailureAt)}</dd>
              </div>
              <div>
                <dt>Dead-lettered</dt>
                <dd>{fmtTime(record.routedAt)}</dd>
              </div>
              <div>
                <dt>Originally stored</dt>
                <dd>{record.originalTime ? fmtTime(record.originalTime) : 'unknown'}</dd>
              </div>
              <div>
                <dt>Original message id</dt>
                <dd class="mono">{record.originalMsgId ?? '—'}</dd>
              </div>
              <div>
                <dt>Trace id</dt>
                <dd class="mono">{record.traceId ?? '—'}</dd>
              </div>
            </dl>
          </section>

          <section class="panel" aria-labelledby="headers-heading">
            <h2 id="headers-heading">Original headers</h2>
            <Headers headers={record.headers} />
          </section>
        </>
      )}
      <ConfirmDialog
        open={purgeOpen}
        title={`Purge dead letter #${id}?`}
        confirmLabel="Confirm purge"
        danger
        busy={busy}
        onConfirm={() => void purge()}
        onClose={closePurge}
      >
        <p>The record is deleted from the dead-letter queue and cannot be recovered.</p>
        {purgeError && (
          <p class="error" role="alert">
            {purgeError}
          </p>
        )}
      </ConfirmDialog>
    </section>
  );
}

function Headers({ headers }: { headers: Record<string, string[]> }) {
  const entries = Object.entries(headers);
  if (entries.length === 0) return <Empty>The original message had no headers.</Empty>;
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label="Original headers, scrollable">
      <table>
        <caption class="visually-hidden">Original headers</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Value</th>
          </tr>
        </thead>
        <tbody>
          {entries.flatMap(([name, values]) =>
            values.map((v, i) => (
              <tr key={`${name}-${i}`}>
                <th scope="row" class="mono">
                  {name}
                </th>
                <td class="mono wrap">{v}</td>
              </tr>
            )),
          )}
        </tbody>
      </table>
    </div>
  );
}
