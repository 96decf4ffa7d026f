import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, ApiError, errorText, seg } from '../api/api.client';
import type { ConsumerDetailView, PauseResult } from '../api/api.types';
import { LagRateChart } from '../charts/lag-rate-chart';
import { href } from '../shell/hash-router';
import { ConfirmDialog } from '../shared/confirm-dialog';
import { fmtClock, fmtInt, fmtMillis, fmtRate, fmtTime } from '../shared/format';
import { Empty, ErrorNote, Loading } from '../shared/status';
import { usePoll } from '../shared/use-poll';

const POLL_MS = 2000;

export function ConsumerPage({ stream, name }: { stream: string; name: string }) {
  useEffect(() => void (document.title = `Consumer ${name} · nestjet console`), [name]);
  const path = `/v1/ops/consumers/${seg(stream)}/${seg(name)}`;
  const { data, error, loading, refresh } = usePoll((signal) => api.get<ConsumerDetailView>(path, undefined, signal), POLL_MS, [path]);
  const [dialog, setDialog] = useState<'pause' | 'resume' | null>(null);
  const [until, setUntil] = useState('');
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);
  const [override, setOverride] = useState<PauseResult | null>(null);
  const [message, setMessage] = useState<string | null>(null);

  // The next poll supersedes what the pause/resume answer said.
  useEffect(() => setOverride(null), [data]);

  const close = useCallback(() => {
    setDialog(null);
    setActionError(null);
    setUntil('');
  }, []);

  const act = async () => {
    if (!dialog) return;
    setBusy(true);
    setActionError(null);
    try {
      let body: Record<string, string> = {};
      if (dialog === 'pause' && until) {
        const when = new Date(until);
        if (Number.isNaN(when.getTime()) || when.getTime() <= Date.now()) {
          setActionError('Pick a time in the future, or leave it empty for 24 hours.');
          setBusy(false);
          return;
        }
        body = { until: when.toISOString() };
      }
      const result = await api.post<PauseResult>(`${path}/${dialog}`, body);
      setOverride(result);
      setMessage(result.paused ? `Paused until ${fmtTime(result.pauseUntil)}.` : 'Resumed.');
      setDialog(null);
      setUntil('');
      refresh();
    } catch (e) {
      setActionError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const notFound = error instanceof ApiError && error.status === 404;
  const paused = override ? override.paused : data?.paused;
  const pauseUntil = override ? override.pauseUntil : data?.pauseUntil;

  return (
    <section class="page">
      <div class="page-head">
        <h1>Consumer {name}</h1>
        {data && <p class="muted updated">Stream {stream} · updated {fmtClock(Date.now())} · refreshes every 2 s</p>}
      </div>
      {notFound ? (
        <Empty>
          There is no consumer {name} on stream {stream}. <a href={href.overview()}>See all consumers</a>.
        </Empty>
      ) : (
        error != null && <ErrorNote error={error} retry={refresh} />
      )}
      {loading && !data && <Loading what={`consumer ${name}`} />}
      {data && !notFound && (
        <>
          <div class="pause-bar">
            {paused ? (
              <>
                <p class="badge warn">Paused until {fmtTime(pauseUntil)}</p>
                <button type="button" class="primary" onClick={() => setDialog('resume')}>
                  Resume
                </button>
              </>
            ) : (
              <>
                <p class="badge ok">Active</p>
                <button type="button" onClick={() => setDialog('pause')}>
                  Pause
                </button>
              </>
            )}
            <p class="muted" role="status">
              {message}
            </p>
          </div>
          <dl class="stats">
            <div>
              <dt>Pending</dt>
              <dd>{fmtInt(data.pending)}</dd>
            </div>
            <div>
              <dt>Ack pending</dt>
              <dd>{fmtInt(data.ackPending)}</dd>
            </div>
            <div>
              <dt>Redelivered</dt>
              <dd>{fmtInt(data.redelivered)}</dd>
            </div>
            <div>
              <dt>Waiting pulls</dt>
              <dd>{fmtInt(data.waiting)}</dd>
            </div>
            <div>
              <dt>Rate</dt>
              <dd>{fmtRate(data.rate)}</dd>
            </div>
            <div>
              <dt>Workers</dt>
              <dd>{data.workers == null ? 'unknown' : fmtInt(data.workers)}</dd>
            </div>
          </dl>
          <figure class="panel" aria-label="Lag and rate, last 15 minutes">
            <figcaption>Lag and rate, last 15 minutes</figcaption>
            {data.history.t.length === 0 ? <Empty>No samples yet; the first appear within seconds.</Empty> : <LagRateChart history={data.history} />}
          </figure>
          <Configuration detail={data} />
        </>
      )}
      <ConfirmDialog
        open={dialog === 'pause'}
        title={`Pause ${name}?`}
        confirmLabel="Confirm pause"
        busy={busy}
        onConfirm={act}
        onClose={close}
      >
        <p>
          The server stops delivering messages to {name}; they wait in the stream (pending rises) until you resume or the pause
          ends.
        </p>
        <label for="pause-until">Pause until (optional, default 24 hours)</label>
        <input id="pause-until" type="datetime-local" value={until} onInput={(e) => setUntil(e.currentTarget.value)} />
        {actionError && <p class="error" role="alert">{actionError}</p>}
      </ConfirmDialog>
      <ConfirmDialog
        open={dialog === 'resume'}
        title={`Resume ${name}?`}
        confirmLabel="Confirm resume"
        busy={busy}
        onConfirm={act}
        onClose={close}
      >
        <p>Delivery to {name} starts again at once; pending messages drain.</p>
        {actionError && <p class="error" role="alert">{actionError}</p>}
      </ConfirmDialog>
    </section>
  );
}

function Configuration({ detail }: { detail: ConsumerDetailView }) {
  const c = detail.config;
  if (!c) {
    return (
      <section class="panel" aria-labelledby="config-heading">
        <h2 id="config-heading">Configuration</h2>
        <Empty>The consumer does not exist on the server yet, so it has no configuration to show. Run the provisioner.</Empty>
      </section>
    );
  }
  const rows: [string, string][] = [
    ['Description', c.description || '—'],
    ['Ack policy', c.ackPolicy ?? '—'],
    ['Ack wait', fmtMillis(c.ackWaitMs)],
    ['Max deliveries', c.maxDeliver == null || c.maxDeliver < 0 ? 'unlimited' : fmtInt(c.maxDeliver)],
    ['Max ack pending', c.maxAckPending == null || c.maxAckPending < 0 ? 'unlimited' : fmtInt(c.maxAckPending)],
    ['Backoff', c.backoffMs && c.backoffMs.length > 0 ? c.backoffMs.map((ms) => fmtMillis(ms)).join(', ') : 'none'],
    ['Filter subjects', c.filterSubjects && c.filterSubjects.length > 0 ? c.filterSubjects.join(', ') : 'all subjects'],
    ['Deliver policy', c.deliverPolicy ?? '—'],
  ];
  return (
    <section class="panel" aria-labelledby="config-heading">
      <h2 id="config-heading">Configuration</h2>
      <dl class="config">
        {rows.map(([term, value]) => (
          <div key={term}>
            <dt>{term}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
