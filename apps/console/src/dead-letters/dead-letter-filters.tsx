import { useState } from 'preact/hooks';

/** Filters as the API takes them (`since`/`until` ISO 8601 instants). */
export interface DeadLetterFilter {
  stream?: string;
  consumer?: string;
  subject?: string;
  since?: string;
  until?: string;
  reason?: string;
}

interface Draft {
  stream: string;
  consumer: string;
  subject: string;
  from: string;
  to: string;
  reason: string;
}

const EMPTY: Draft = { stream: '', consumer: '', subject: '', from: '', to: '', reason: '' };

/** `datetime-local` values are wall-clock times in the viewer's zone; the API wants instants. */
function toInstant(local: string): string | undefined {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export function toFilter(d: Draft): DeadLetterFilter {
  const f: DeadLetterFilter = {};
  if (d.stream.trim()) f.stream = d.stream.trim();
  if (d.consumer.trim()) f.consumer = d.consumer.trim();
  if (d.subject.trim()) f.subject = d.subject.trim();
  const since = toInstant(d.from);
  const until = toInstant(d.to);
  if (since) f.since = since;
  if (until) f.until = until;
  if (d.reason.trim()) f.reason = d.reason.trim();
  return f;
}

export function isEmptyFilter(f: DeadLetterFilter): boolean {
  return Object.keys(f).length === 0;
}

export function FilterForm({ onApply, busy }: { onApply: (f: DeadLetterFilter) => void; busy: boolean }) {
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [problem, setProblem] = useState<string | null>(null);

  const onInput = (key: keyof Draft) => (e: Event) => setDraft((d) => ({ ...d, [key]: (e.currentTarget as HTMLInputElement).value }));

  const field = (key: keyof Draft, label: string, type: 'text' | 'datetime-local' = 'text', placeholder?: string) => (
    <div class="field">
      <label for={`filter-${key}`}>{label}</label>
      {type === 'text' ? (
        <input id={`filter-${key}`} name={key} type="text" value={draft[key]} placeholder={placeholder} autocomplete="off" onInput={onInput(key)} />
      ) : (
        <input id={`filter-${key}`} name={key} type="datetime-local" value={draft[key]} onInput={onInput(key)} />
      )}
    </div>
  );

  const submit = (e: Event) => {
    e.preventDefault();
    const f = toFilter(draft);
    if (f.since && f.until && f.since > f.until) {
      setProblem('"From" must be before "To".');
      return;
    }
    setProblem(null);
    onApply(f);
  };

  const reset = () => {
    setDraft(EMPTY);
    setProblem(null);
    onApply({});
  };

  return (
    <form class="filters panel" onSubmit={submit} aria-label="Filter dead letters">
      {field('stream', 'Stream', 'text', 'ORDERS')}
      {field('consumer', 'Consumer', 'text', 'fulfillment')}
      {field('subject', 'Subject', 'text', 'orders.created.>')}
      {field('from', 'From', 'datetime-local')}
      {field('to', 'To', 'datetime-local')}
      {field('reason', 'Reason contains', 'text')}
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          Apply filters
        </button>
        <button type="button" onClick={reset} disabled={busy}>
          Clear
        </button>
      </div>
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
    </form>
  );
}
