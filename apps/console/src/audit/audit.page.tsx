import { useCallback, useEffect, useState } from 'preact/hooks';
import { api } from '../api/api.client';
import type { AuditListing, AuditRecord, AuditVerification } from '../api/api.types';
import { href } from '../shell/hash-router';
import { fmtInt, fmtTime } from '../shared/format';
import { LoadMore } from '../shared/load-more';
import { usePagedList } from '../shared/use-paged-list';
import { Empty, ErrorNote, Loading } from '../shared/status';

const PAGE_SIZE = 100;
/** GET /v1/audit's actions (AUDIT_ACTIONS in libs/jetstream). */
const ACTIONS = ['dlq.replay', 'dlq.replay-bulk', 'dlq.purge', 'dlq.purge-bulk', 'consumer.pause', 'consumer.resume', 'consumer.reset', 'schedule.cancel', 'api-keys.reload'];
const OUTCOMES = ['succeeded', 'refused', 'failed'];

interface AuditFilter {
  action?: string;
  principal?: string;
  target?: string;
  outcome?: string;
  since?: string;
  until?: string;
}

interface Draft {
  action: string;
  principal: string;
  target: string;
  outcome: string;
  from: string;
  to: string;
}

const EMPTY: Draft = { action: '', principal: '', target: '', outcome: '', from: '', to: '' };

/** `datetime-local` values are wall-clock times in the viewer's zone; the API wants instants. */
function toInstant(local: string): string | undefined {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

function toFilter(d: Draft): AuditFilter {
  const f: AuditFilter = {};
  for (const key of ['action', 'principal', 'target', 'outcome'] as const) if (d[key].trim()) f[key] = d[key].trim();
  const since = toInstant(d.from);
  const until = toInstant(d.to);
  if (since) f.since = since;
  if (until) f.until = until;
  return f;
}

function AuditFilterForm({ onApply, busy }: { onApply: (f: AuditFilter) => void; busy: boolean }) {
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const onInput = (key: keyof Draft) => (e: Event) => setDraft((d) => ({ ...d, [key]: (e.currentTarget as HTMLInputElement).value }));
  const select = (key: 'action' | 'outcome', label: string, options: string[]) => (
    <div class="field">
      <label for={`audit-${key}`}>{label}</label>
      <select id={`audit-${key}`} name={key} value={draft[key]} onChange={onInput(key)}>
        <option value="">Any</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </div>
  );
  const text = (key: 'principal' | 'target', label: string, placeholder: string) => (
    <div class="field">
      <label for={`audit-${key}`}>{label}</label>
      <input id={`audit-${key}`} name={key} type="text" value={draft[key]} placeholder={placeholder} autocomplete="off" onInput={onInput(key)} />
    </div>
  );
  const time = (key: 'from' | 'to', label: string) => (
    <div class="field">
      <label for={`audit-${key}`}>{label}</label>
      <input id={`audit-${key}`} name={key} type="datetime-local" value={draft[key]} onInput={onInput(key)} />
    </div>
  );
  return (
    <form
      class="filters panel"
      aria-label="Filter audit records"
      onSubmit={(e) => {
        e.preventDefault();
        onApply(toFilter(draft));
      }}
    >
      {select('action', 'Action', ACTIONS)}
      {text('principal', 'Principal', 'key:ops')}
      {text('target', 'Target starts with', 'dlq/')}
      {select('outcome', 'Result', OUTCOMES)}
      {time('from', 'From')}
      {time('to', 'To')}
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          Apply filters
        </button>
        <button
          type="button"
          disabled={busy}
          onClick={() => {
            setDraft(EMPTY);
            onApply({});
          }}
        >
          Clear
        </button>
      </div>
    </form>
  );
}

/** The chain check: run on opening the page and on demand. */
function VerifyPanel() {
  const [state, setState] = useState<{ result?: AuditVerification; error?: unknown; busy: boolean }>({ busy: true });
  const run = useCallback(async () => {
    setState({ busy: true });
    try {
      setState({ result: await api.get<AuditVerification>('/v1/audit/verify'), busy: false });
    } catch (error) {
      setState({ error, busy: false });
    }
  }, []);
  useEffect(() => void run(), [run]);
  const { result, error, busy } = state;
  return (
    <div class="panel verify" aria-labelledby="verify-title">
      <h2 id="verify-title">Hash chain</h2>
      <p role="status" aria-live="polite" data-testid="audit-verify">
        {busy && 'Verifying…'}
        {!busy && result && result.intact && (
          <>
            <span class="badge ok">Intact</span> {fmtInt(result.checked)} records checked
            {result.first && (result.first.genesis ? ', from the start of the trail' : `, from #${result.first.seq} (older records aged out)`)}.
          </>
        )}
        {!busy && result && !result.intact && (
          <>
            <span class="badge bad">Not intact</span> {fmtInt(result.problems.length + result.problemsOmitted)} problem(s) in {fmtInt(result.checked)} records.
          </>
        )}
      </p>
      {result && !result.intact && (
        <ul class="problems">
          {result.problems.map((p) => (
            <li key={`${p.seq}-${p.kind}`}>
              #{p.seq} <strong>{p.kind}</strong>: {p.detail}
            </li>
          ))}
        </ul>
      )}
      {error != null && <ErrorNote error={error} retry={() => void run()} />}
      <button type="button" onClick={() => void run()} disabled={busy}>
        Verify again
      </button>
    </div>
  );
}

function outcomeBadge(r: AuditRecord) {
  const kind = r.result.outcome === 'succeeded' ? 'ok' : r.result.outcome === 'refused' ? 'warn' : 'bad';
  return (
    <span class={`badge ${kind}`} title={r.result.detail}>
      {r.result.outcome} {r.result.status}
    </span>
  );
}

function targetCell(target: string) {
  const dlq = /^dlq\/(\d+)$/.exec(target);
  const consumer = /^consumer\/([^/]+)\/([^/]+)$/.exec(target);
  if (dlq) return <a href={href.deadLetter(dlq[1]!)}>{target}</a>;
  if (consumer) return <a href={href.consumer(consumer[1]!, consumer[2]!)}>{target}</a>;
  return target;
}

export function AuditPage() {
  useEffect(() => void (document.title = 'Audit trail · nestjet console'), []);
  const { filter, apply, list, loading, error, load } = usePagedList<AuditFilter, AuditListing, AuditListing>('/v1/audit', PAGE_SIZE, (prev, page) => ({
    ...page,
    items: prev ? [...prev.items, ...page.items] : page.items,
  }));

  const items = list?.items ?? [];
  return (
    <section class="page">
      <div class="page-head">
        <h1>Audit trail</h1>
        {list && <p class="muted">{fmtInt(list.total)} admin actions recorded</p>}
      </div>
      <VerifyPanel />
      <AuditFilterForm
        busy={loading && list === null}
        onApply={apply}
      />
      {error != null && <ErrorNote error={error} retry={() => void load(filter, null)} />}
      {list === null && loading && <Loading what="audit records" />}
      {list !== null && (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="Audit records, scrollable">
          <table>
            <caption>Audit records, oldest first</caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Time</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Principal</th>
                <th scope="col">Result</th>
                <th scope="col">Request</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {items.length === 0 && (
                <tr>
                  <td colSpan={8}>
                    <Empty>{list.next != null ? 'No match in this part of the trail. Load more to keep searching.' : 'No audit records match.'}</Empty>
                  </td>
                </tr>
              )}
              {items.map((r) => (
                <tr key={r.seq}>
                  <th scope="row">{r.seq}</th>
                  <td class="nowrap">{fmtTime(r.time)}</td>
                  <td class="mono">{r.action}</td>
                  <td class="mono">{targetCell(r.target)}</td>
                  <td class="mono">{r.principal}</td>
                  <td>{outcomeBadge(r)}</td>
                  <td class="mono" title={`on ${r.host}`}>
                    {r.traceId ? <a href={href.trace(r.traceId)}>{r.requestId ?? 'trace'}</a> : (r.requestId ?? '—')}
                  </td>
                  <td class="reason">
                    <div class="clamp mono" title={r.details ? JSON.stringify(r.details) : undefined}>
                      {r.details ? JSON.stringify(r.details) : '—'}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list !== null && <LoadMore shown={items.length} next={list.next} loading={loading} onMore={() => void load(filter, list.next)} />}
    </section>
  );
}
