import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, errorText, request } from '../api/api.client';
import { signedIn, type Principal } from './session.store';

export function SignInPage({ notice }: { notice: string | null }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(notice);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    document.title = 'Sign in · nestjet console';
    input.current?.focus();
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    const credential = value.trim();
    if (!credential) {
      setError('Enter an API key or a JWT.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const principal = await request<Principal>('/v1/ops/whoami', { credential, keepSessionOn401: true });
      setValue('');
      signedIn(credential, principal);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? `Sign-in refused: ${err.problem.detail || err.problem.title || 'invalid credential'}` : errorText(err));
      setBusy(false);
    }
  };

  return (
    <main class="sign-in" id="main">
      <form class="card" onSubmit={submit} method="post" noValidate>
        <h1>Sign in</h1>
        <p class="muted">nestjet operations console. The credential stays in this tab's memory; reloading the page signs you out.</p>
        <label for="credential">API key or JWT</label>
        <input
          ref={input}
          id="credential"
          name="credential"
          type="password"
          autocomplete="off"
          spellcheck={false}
          value={value}
          onInput={(e) => setValue(e.currentTarget.value)}
          aria-describedby={error ? 'sign-in-error' : undefined}
        />
        {error && (
          <p id="sign-in-error" class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
