import { useCallback, useEffect, useState } from 'preact/hooks';
import { api } from '../api/api.client';
import type { DeadLetter, DeadLetterListing } from '../api/api.types';
import { href } from '../shell/hash-router';
import { fmtInt, fmtTime } from '../shared/format';
import { LoadMore } from '../shared/load-more';
import { usePagedList } from '../shared/use-paged-list';
import { Empty, ErrorNote, Loading } from '../shared/status';
import { BulkActionDialog } from './bulk-action.dialog';
import { FilterForm, type DeadLetterFilter } from './dead-letter-filters';

const PAGE_SIZE = 50;

interface ListState {
  items: DeadLetter[];
  next: number | null;
  total: number | null;
  scanned: number;
}

export function DeadLetterListPage() {
  useEffect(() => void (document.title = 'Dead letters · nestjet console'), []);
  const { filter, apply: applyFilter, list, loading, error, load } = usePagedList<DeadLetterFilter, DeadLetterListing, ListState>('/v1/dlq', PAGE_SIZE, (prev, page) => ({
    items: prev ? [...prev.items, ...page.items] : page.items,
    next: page.next,
    total: page.total ?? null,
    scanned: (prev?.scanned ?? 0) + (page.scanned ?? 0),
  }));
  const [bulk, setBulk] = useState<'replay' | 'purge' | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const apply = (f: DeadLetterFilter) => {
    setNotice(null);
    applyFilter(f);
  };
  const closeBulk = useCallback(() => setBulk(null), []);
  const bulkDone = useCallback(
    (summary: string) => {
      setBulk(null);
      setNotice(summary);
      void load(filter, null);
    },
    [filter, load],
  );

  const items = list?.items ?? [];
  return (
    <section class="page">
      <div class="page-head">
        <h1>Dead letters</h1>
        {list?.total != null && <p class="muted">{fmtInt(list.total)} records in the dead-letter queue</p>}
      </div>
      <FilterForm onApply={apply} busy={loading && list === null} />
      <div class="actions bulk">
        <button type="button" onClick={() => setBulk('replay')}>
          Replay matching…
        </button>
        <button type="button" class="danger" onClick={() => setBulk('purge')}>
          Purge matching…
        </button>
        <p role="status" class="muted">
          {notice}
        </p>
      </div>
      {error != null && <ErrorNote error={error} retry={() => void load(filter, list?.items.length ? list.next : null)} />}
      {list === null && loading && <Loading what="dead letters" />}
      {list !== null && (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="Dead letters, scrollable">
          <table>
            <caption>Dead letters</caption>
            <thead>
              <tr>
                <th scope="col">Record</th>
                <th scope="col">Last failure</th>
                <th scope="col">Stream</th>
                <th scope="col">Consumer</th>
                <th scope="col">Subject</th>
                <th scope="col">Reason</th>
                <th scope="col" class="num">Deliveries</th>
                <th scope="col">Replay</th>
              </tr>
            </thead>
            <tbody>
              {items.length === 0 && (
                <tr>
                  <td colSpan={8}>
                    <Empty>
                      {list.next != null
                        ? `No match among the ${fmtInt(list.scanned)} records scanned so far. Load more to keep searching.`
                        : 'No dead letters match.'}
                    </Empty>
                  </td>
                </tr>
              )}
              {items.map((d) => (
                <tr key={d.id}>
                  <th scope="row">
                    <a href={href.deadLetter(d.id)}>#{d.id}</a>
                  </th>
                  <td class="nowrap">{fmtTime(d.lastFailureAt)}</td>
                  <td>{d.stream}</td>
                  <td>{d.consumer}</td>
                  <td class="mono">{d.subject}</td>
                  <td class="reason">
                    <div class="clamp" title={d.reason}>
                      {d.reason}
                    </div>
                  </td>
                  <td class="num">{fmtInt(d.deliveryCount)}</td>
                  <td>{d.replay ? <span class="badge ok">Replayed</span> : <span class="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list !== null && <LoadMore shown={items.length} next={list.next} loading={loading} onMore={() => void load(filter, list.next)} />}
      <BulkActionDialog action={bulk} filter={filter} onClose={closeBulk} onDone={bulkDone} />
    </section>
  );
}
