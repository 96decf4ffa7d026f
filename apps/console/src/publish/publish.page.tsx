import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError, errorText, seg, type Problem } from '../api/api.client';
import type { PublishResult, Topic } from '../api/api.types';
import { fmtInt } from '../shared/format';
import { problemLine } from '../shared/problem-list';
import { Empty, ErrorNote, Loading } from '../shared/status';
import { exampleOf, resolveSchema, typeOf, type OpenApiDocument, type Schema } from './json-schema';
import { loadOpenApi } from './schema.cache';

interface Loaded {
  topics: Topic[];
  doc: OpenApiDocument;
}

export function PublishPage() {
  useEffect(() => void (document.title = 'Publish · nestjet console'), []);
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  const [topicName, setTopicName] = useState('');

  useEffect(() => {
    let live = true;
    setError(null);
    Promise.all([api.get<Topic[]>('/v1/topics'), loadOpenApi()]).then(
      ([topics, doc]) => {
        if (!live) return;
        setLoaded({ topics, doc });
        setTopicName((current) => current || topics[0]?.name || '');
      },
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [attempt]);

  const topic = loaded?.topics.find((t) => t.name === topicName);
  const schema = useMemo(
    () => (topic?.payloadSchema && loaded ? resolveSchema({ $ref: topic.payloadSchema }, loaded.doc) : null),
    [topic, loaded],
  );

  return (
    <section class="page">
      <div class="page-head">
        <h1>Publish</h1>
        <p class="muted">Publish one message through the ingress, validated like any client's.</p>
      </div>
      {error != null && <ErrorNote error={error} retry={() => setAttempt((a) => a + 1)} />}
      {!loaded && error == null && <Loading what="topics and their schemas" />}
      {loaded && loaded.topics.length === 0 && <Empty>No topics are declared.</Empty>}
      {loaded && loaded.topics.length > 0 && (
        <div class="panel">
          <div class="field">
            <label for="topic">Topic</label>
            <select id="topic" value={topicName} onChange={(e) => setTopicName(e.currentTarget.value)}>
              {loaded.topics.map((t) => (
                <option key={t.name} value={t.name}>
                  {t.name}
                </option>
              ))}
            </select>
            {topic?.description && <p class="muted">{topic.description}</p>}
          </div>
          {topic && <PublishForm key={topic.name} topic={topic} schema={schema} />}
        </div>
      )}
    </section>
  );
}

interface FieldSpec {
  name: string;
  schema: Schema;
  kind: 'text' | 'number' | 'integer' | 'boolean' | 'enum' | 'json';
  required: boolean;
}

function fieldsOf(schema: Schema | null): FieldSpec[] {
  if (!schema?.properties) return [];
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties).map(([name, s]) => {
    const t = typeOf(s);
    const kind: FieldSpec['kind'] = s.enum
      ? 'enum'
      : t === 'integer'
        ? 'integer'
        : t === 'number'
          ? 'number'
          : t === 'boolean'
            ? 'boolean'
            : t === 'array' || t === 'object'
              ? 'json'
              : 'text';
    return { name, schema: s, kind, required: required.has(name) };
  });
}

function initialValue(f: FieldSpec): string {
  const example = exampleOf(f.schema);
  if (f.kind === 'json') return JSON.stringify(example, null, 2);
  if (f.kind === 'boolean') return example === true ? 'true' : 'false';
  return example === undefined || example === null ? '' : String(example);
}

/** Top-level field a server error path such as `lines[0].sku` belongs to. */
const topField = (path: string) => path.split(/[.[]/)[0] ?? path;

function PublishForm({ topic, schema }: { topic: Topic; schema: Schema | null }) {
  const fields = useMemo(() => fieldsOf(schema), [schema]);
  const free = fields.length === 0;
  const [values, setValues] = useState<Record<string, string>>(() =>
    free ? { __payload: '{}' } : Object.fromEntries(fields.map((f) => [f.name, initialValue(f)])),
  );
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<Problem | null>(null);
  const [result, setResult] = useState<PublishResult | null>(null);
  const [busy, setBusy] = useState(false);

  const serverErrors = useMemo(() => {
    const byField: Record<string, string[]> = {};
    const other: { field: string; messages: string[] }[] = [];
    for (const e of problem?.errors ?? []) {
      const top = topField(e.field);
      if (fields.some((f) => f.name === top)) (byField[top] ??= []).push(`${e.field}: ${e.messages.join('; ')}`);
      else other.push(e);
    }
    return { byField, other };
  }, [problem, fields]);

  const build = (): { payload?: unknown; errors: Record<string, string> } => {
    const errors: Record<string, string> = {};
    if (free) {
      try {
        return { payload: JSON.parse(values.__payload ?? ''), errors };
      } catch (e) {
        return { errors: { __payload: `Not valid JSON: ${e instanceof Error ? e.message : ''}` } };
      }
    }
    const payload: Record<string, unknown> = {};
    for (const f of fields) {
      const raw = values[f.name] ?? '';
      if (f.kind === 'boolean') {
        payload[f.name] = raw === 'true';
        continue;
      }
      if (raw.trim() === '') continue; // left out: the server says whether it was required
      if (f.kind === 'json') {
        try {
          payload[f.name] = JSON.parse(raw);
        } catch (e) {
          errors[f.name] = `Not valid JSON: ${e instanceof Error ? e.message : ''}`;
        }
      } else if (f.kind === 'number' || f.kind === 'integer') {
        const n = Number(raw);
        payload[f.name] = Number.isFinite(n) ? n : raw;
      } else if (f.kind === 'enum') {
        const match = f.schema.enum?.find((v) => String(v) === raw);
        payload[f.name] = match ?? raw;
      } else {
        payload[f.name] = raw;
      }
    }
    return { payload, errors };
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setResult(null);
    setProblem(null);
    const { payload, errors } = build();
    setLocalErrors(errors);
    if (Object.keys(errors).length > 0) return;
    setBusy(true);
    try {
      setResult(await api.post<PublishResult>(`/v1/topics/${seg(topic.name)}/messages`, payload));
    } catch (err) {
      setProblem(err instanceof ApiError ? err.problem : { title: 'Publish failed', detail: errorText(err) });
    } finally {
      setBusy(false);
    }
  };

  const set = (name: string, value: string) => setValues((v) => ({ ...v, [name]: value }));

  const errorFor = (name: string): string[] => [...(localErrors[name] ? [localErrors[name]!] : []), ...(serverErrors.byField[name] ?? [])];

  return (
    <form class="publish-form" onSubmit={submit} noValidate aria-label={`Payload for ${topic.name}`}>
      {free ? (
        <JsonField name="__payload" label="Payload (JSON)" value={values.__payload ?? ''} onInput={set} errors={errorFor('__payload')} required />
      ) : (
        fields.map((f) => <Field key={f.name} field={f} value={values[f.name] ?? ''} onInput={set} errors={errorFor(f.name)} />)
      )}
      {free && <p class="muted">This topic declares no schema; write the payload as JSON.</p>}
      {problem && (serverErrors.other.length > 0 || (problem.errors ?? []).length === 0) && (
        <div class="field-errors" role="alert">
          <p>{serverErrors.other.length > 0 ? problem.title : problemLine(problem)}</p>
          {serverErrors.other.length > 0 && (
            <ul>
              {serverErrors.other.map((e, i) => (
                <li key={i}>
                  <code>{e.field}</code>: {e.messages.join('; ')}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          Publish
        </button>
        <p role="status" class="result">
          {result && `Stored in ${result.stream} #${result.seq}${result.duplicate ? ' (duplicate: stored before, not stored again)' : ''}`}
        </p>
      </div>
      {result && <p class="muted">Message id {result.id} · stream sequence {fmtInt(result.seq)}</p>}
    </form>
  );
}

interface FieldProps {
  field: FieldSpec;
  value: string;
  onInput: (name: string, value: string) => void;
  errors: string[];
}

function Required({ required }: { required: boolean }) {
  // Hidden from the accessible name (the field's name alone); `required` on the control announces it.
  return required ? (
    <span class="required" aria-hidden="true" title="required">
      {' '}
      *
    </span>
  ) : null;
}

function Field({ field, value, onInput, errors }: FieldProps) {
  const id = `field-${field.name}`;
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const s = field.schema;
  const hint = [
    s.description,
    field.kind === 'integer' ? 'whole number' : '',
    s.minimum !== undefined ? `min ${s.minimum}` : '',
    s.maximum !== undefined ? `max ${s.maximum}` : '',
    field.required ? '' : 'optional',
  ]
    .filter(Boolean)
    .join(', ');
  const common = {
    id,
    name: field.name,
    required: field.required,
    'aria-invalid': errors.length > 0 ? true : undefined,
    'aria-describedby': [hint ? hintId : '', errors.length > 0 ? errorId : ''].filter(Boolean).join(' ') || undefined,
  };
  if (field.kind === 'json') {
    return <JsonField name={field.name} label={field.name} value={value} onInput={onInput} errors={errors} required={field.required} hint={hint} />;
  }
  return (
    <div class={field.kind === 'boolean' ? 'field check' : 'field'}>
      <label for={id}>
        {field.name}
        <Required required={field.required} />
      </label>
      {field.kind === 'enum' ? (
        <select {...common} value={value} onChange={(e) => onInput(field.name, e.currentTarget.value)}>
          {!field.required && <option value="">(not set)</option>}
          {(s.enum ?? []).map((v) => (
            <option key={String(v)} value={String(v)}>
              {String(v)}
            </option>
          ))}
        </select>
      ) : field.kind === 'boolean' ? (
        <input {...common} type="checkbox" checked={value === 'true'} onChange={(e) => onInput(field.name, String(e.currentTarget.checked))} />
      ) : field.kind === 'text' ? (
        <input {...common} type="text" autocomplete="off" value={value} onInput={(e) => onInput(field.name, e.currentTarget.value)} />
      ) : (
        <input
          {...common}
          type="number"
          step={field.kind === 'integer' ? 1 : 'any'}
          inputMode={field.kind === 'integer' ? 'numeric' : 'decimal'}
          autocomplete="off"
          value={value}
          onInput={(e) => onInput(field.name, e.currentTarget.value)}
        />
      )}
      {hint && (
        <p id={hintId} class="hint">
          {hint}
        </p>
      )}
      {errors.length > 0 && (
        <p id={errorId} class="error" role="alert">
          {errors.join(' · ')}
        </p>
      )}
    </div>
  );
}

function JsonField(props: { name: string; label: string; value: string; onInput: (n: string, v: string) => void; errors: string[]; required: boolean; hint?: string }) {
  const id = `field-${props.name}`;
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const hint = ['JSON', props.hint].filter(Boolean).join(', ');
  return (
    <div class="field">
      <label for={id}>
        {props.label}
        <Required required={props.required} />
      </label>
      <textarea
        id={id}
        name={props.name}
        class="code"
        rows={Math.min(14, Math.max(4, props.value.split('\n').length + 1))}
        spellcheck={false}
        required={props.required}
        value={props.value}
        aria-invalid={props.errors.length > 0 ? true : undefined}
        aria-describedby={[hintId, props.errors.length > 0 ? errorId : ''].filter(Boolean).join(' ')}
        onInput={(e) => props.onInput(props.name, e.currentTarget.value)}
      />
      <p id={hintId} class="hint">
        {hint}
      </p>
      {props.errors.length > 0 && (
        <p id={errorId} class="error" role="alert">
          {props.errors.join(' · ')}
        </p>
      )}
    </div>
  );
}
