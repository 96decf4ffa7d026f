import { useEffect } from 'preact/hooks';
import { api } from '../api/api.client';
import type { ConsumerView, OperationsOverview, StreamView } from '../api/api.types';
import { Sparkline } from '../charts/sparkline';
import { href } from '../shell/hash-router';
import { fmtBytes, fmtClock, fmtDuration, fmtInt, fmtPercent, fmtRate } from '../shared/format';
import { Empty, ErrorNote, Loading } from '../shared/status';
import { usePoll } from '../shared/use-poll';

export const POLL_MS = 2000;

export function OverviewPage() {
  useEffect(() => void (document.title = 'Overview · nestjet console'), []);
  const { data, error, loading, refresh } = usePoll((signal) => api.get<OperationsOverview>('/v1/ops/overview', undefined, signal), POLL_MS, []);

  return (
    <section class="page">
      <div class="page-head">
        <h1>Overview</h1>
        {data?.sampledAt && <p class="muted updated">Updated {fmtClock(data.sampledAt)} · refreshes every 2 s</p>}
      </div>
      {error != null && <ErrorNote error={error} retry={refresh} />}
      {loading && !data && <Loading what="the overview" />}
      {data && (
        <>
          <Health overview={data} />
          <StreamsTable streams={data.streams} />
          <ConsumersTable consumers={data.consumers} />
        </>
      )}
    </section>
  );
}

function Health({ overview }: { overview: OperationsOverview }) {
  const { nats, producer, consumers } = overview.health;
  const natsOk = nats.connected && nats.jetstream;
  return (
    <section class="panel" aria-labelledby="health-heading">
      <h2 id="health-heading">Health</h2>
      <ul class="health">
        <li class={natsOk ? 'ok' : 'bad'}>
          <strong>NATS</strong> {nats.connected ? 'connected' : 'disconnected'}, JetStream {nats.jetstream ? 'available' : 'unavailable'}
        </li>
        <li class={producer.status === 'up' ? 'ok' : 'bad'}>
          <strong>Producer</strong> {producer.status}, version {producer.version}, up {fmtDuration(producer.uptimeSeconds)}
        </li>
        {consumers.length === 0 && <li class="bad">No consumer declared</li>}
        {consumers.map((c) => (
          <li key={`${c.stream}/${c.name}`} class={c.workers === 0 ? 'bad' : c.workers == null ? 'unknown' : 'ok'}>
            <strong>
              {c.stream} / {c.name}
            </strong>{' '}
            {c.workers == null ? 'workers unknown' : `${fmtInt(c.workers)} worker${c.workers === 1 ? '' : 's'} bound`}
          </li>
        ))}
      </ul>
    </section>
  );
}

function StreamsTable({ streams }: { streams: StreamView[] }) {
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label="Streams, scrollable">
      <table>
        <caption>Streams</caption>
        <thead>
          <tr>
            <th scope="col">Stream</th>
            <th scope="col">Subjects</th>
            <th scope="col" class="num">Messages</th>
            <th scope="col" class="num">Bytes</th>
            <th scope="col" class="num">In</th>
            <th scope="col" class="num">Out</th>
            <th scope="col" class="num">Of message limit</th>
            <th scope="col" class="num">Of byte limit</th>
            <th scope="col" class="num">Consumers</th>
          </tr>
        </thead>
        <tbody>
          {streams.length === 0 && (
            <tr>
              <td colSpan={9}>
                <Empty>No streams yet. Run the provisioner to create them.</Empty>
              </td>
            </tr>
          )}
          {streams.map((s) => (
            <tr key={s.name}>
              <th scope="row">{s.name}</th>
              <td class="subjects">{s.subjects.join(', ')}</td>
              <td class="num">
                <div class="cell-with-spark">
                  {fmtInt(s.messages)}
                  <Sparkline t={s.history.t} values={s.history.messages} label={`${s.name} messages`} />
                </div>
              </td>
              <td class="num">{fmtBytes(s.bytes)}</td>
              <td class="num">
                <div class="cell-with-spark">
                  {fmtRate(s.inRate)}
                  <Sparkline t={s.history.t} values={s.history.inRate} label={`${s.name} incoming rate`} />
                </div>
              </td>
              <td class="num">{fmtRate(s.outRate)}</td>
              <td class="num">
                <Usage fraction={s.usage.messages} />
              </td>
              <td class="num">
                <Usage fraction={s.usage.bytes} />
              </td>
              <td class="num">{fmtInt(s.consumerCount)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Usage({ fraction }: { fraction: number | null }) {
  if (fraction == null) return <span class="muted">no limit</span>;
  return (
    <span class={fraction >= 0.9 ? 'usage high' : 'usage'}>
      <meter min={0} max={1} low={0.7} high={0.9} optimum={0} value={fraction} aria-hidden="true" /> {fmtPercent(fraction)}
    </span>
  );
}

function ConsumersTable({ consumers }: { consumers: ConsumerView[] }) {
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label="Consumers, scrollable">
      <table>
        <caption>Consumers</caption>
        <thead>
          <tr>
            <th scope="col">Consumer</th>
            <th scope="col">Stream</th>
            <th scope="col" class="num">Pending</th>
            <th scope="col" class="num">Ack pending</th>
            <th scope="col" class="num">Redelivered</th>
            <th scope="col" class="num">Waiting pulls</th>
            <th scope="col" class="num">Rate</th>
            <th scope="col" class="num">Workers</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {consumers.length === 0 && (
            <tr>
              <td colSpan={9}>
                <Empty>No consumers yet.</Empty>
              </td>
            </tr>
          )}
          {consumers.map((c) => (
            <tr key={`${c.stream}/${c.name}`}>
              <th scope="row">
                <a href={href.consumer(c.stream, c.name)}>{c.name}</a>
              </th>
              <td>{c.stream}</td>
              <td class="num">
                <div class="cell-with-spark">
                  {fmtInt(c.pending)}
                  <Sparkline t={c.history.t} values={c.history.pending} label={`${c.name} pending`} />
                </div>
              </td>
              <td class="num">{fmtInt(c.ackPending)}</td>
              <td class="num">{fmtInt(c.redelivered)}</td>
              <td class="num">{fmtInt(c.waiting)}</td>
              <td class="num">
                <div class="cell-with-spark">
                  {fmtRate(c.rate)}
                  <Sparkline t={c.history.t} values={c.history.rate} label={`${c.name} processing rate`} />
                </div>
              </td>
              <td class="num">{c.workers == null ? '—' : fmtInt(c.workers)}</td>
              <td>
                {c.exists === false ? (
                  <span class="badge bad">Missing</span>
                ) : c.paused ? (
                  <span class="badge warn">Paused</span>
                ) : (
                  <span class="badge ok">Active</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
