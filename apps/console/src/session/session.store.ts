/**
 * The credential lives only in this module's memory: nothing is written to
 * localStorage, sessionStorage, cookies, the URL or history state, so a reload
 * or a closed tab forgets it and a stolen disk image holds no secret.
 */
import { useEffect, useState } from 'preact/hooks';

export interface Principal {
  id: string;
  scopes: string[];
}

export interface SessionState {
  principal: Principal | null;
  /** Why the last session ended (an expired JWT, a revoked key), shown on the sign-in page. */
  notice: string | null;
}

let credential: string | null = null;
let state: SessionState = { principal: null, notice: null };
const listeners = new Set<(s: SessionState) => void>();
const clearers = new Set<() => void>();

function emit(next: SessionState): void {
  state = next;
  for (const l of listeners) l(state);
}

export function currentCredential(): string | null {
  return credential;
}

export function signedIn(credentialValue: string, principal: Principal): void {
  credential = credentialValue;
  emit({ principal, notice: null });
}

/** Forgets the credential and every cache that holds data read with it. */
export function signOut(notice: string | null = null): void {
  credential = null;
  for (const clear of clearers) clear();
  emit({ principal: null, notice });
}

/** Caches register here so signing out cannot leave another operator's data behind. */
export function onSignOut(clear: () => void): void {
  clearers.add(clear);
}

export function hasScope(scope: string): boolean {
  return state.principal?.scopes.includes(scope) ?? false;
}

export function useSession(): SessionState {
  const [s, setS] = useState(state);
  useEffect(() => {
    listeners.add(setS);
    setS(state);
    return () => void listeners.delete(setS);
  }, []);
  return s;
}
