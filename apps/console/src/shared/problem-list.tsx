import type { Problem } from '../api/api.client';

/** A problem's field errors as a list; text only, never HTML, since messages can echo user input. */
export function problemLine(problem: Problem): string {
  return problem.title && problem.detail ? `${problem.title}: ${problem.detail}` : problem.detail || problem.title || 'The request failed.';
}

export function FieldErrors({ id, problem, strip }: { id?: string; problem: Problem; strip?: string }) {
  const errors = problem.errors ?? [];
  return (
    <div id={id} class="field-errors" role="alert">
      {/* With a field list, the detail only repeats it in one line. */}
      <p>{errors.length > 0 ? problem.title || 'The request was refused' : problemLine(problem)}</p>
      {errors.length > 0 && (
        <ul>
          {errors.map((e, i) => (
            <li key={`${e.field}-${i}`}>
              <code>{strip && e.field.startsWith(strip) ? e.field.slice(strip.length) : e.field}</code>: {e.messages.join('; ')}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
