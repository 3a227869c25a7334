/**
 * The dashboard's door to the coordinator's API: the same HTTP routes every client uses,
 * with the signed-in credential (an account's API key or the admin token) as the
 * Authorization header. The credential lives in sessionStorage: it goes when the tab does.
 */

const CREDENTIAL_KEY = 'corten.credential';

export interface Session {
  credential: string;
  /** admin: sees everything; account: its own work and the network's public face. */
  kind: 'admin' | 'account';
  name: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function storedCredential(): string | null {
  return sessionStorage.getItem(CREDENTIAL_KEY);
}

export function forgetCredential(): void {
  sessionStorage.removeItem(CREDENTIAL_KEY);
}

let credential: string | null = storedCredential();

export function authHeaders(): Record<string, string> {
  return credential ? { authorization: `Bearer ${credential}` } : {};
}

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const response = await fetch(path, {
    method: init.method ?? 'GET',
    headers: {
      ...authHeaders(),
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
  const text = await response.text();
  const parsed: unknown = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = (parsed as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(response.status, error?.code ?? 'HTTP_ERROR', error?.message ?? `HTTP ${response.status}`);
  }
  return parsed as T;
}

/** Query string of the defined, non-empty values. */
export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') search.set(k, String(v));
  const text = search.toString();
  return text ? `?${text}` : '';
}

/**
 * Tries a credential: the admin token opens the ledger, an account key opens its account.
 * Kept only when one of them answers.
 */
export async function signIn(candidate: string): Promise<Session> {
  const previous = credential;
  credential = candidate.trim();
  try {
    try {
      await api('/v1/ledger/balances');
      sessionStorage.setItem(CREDENTIAL_KEY, credential);
      return { credential, kind: 'admin', name: 'admin' };
    } catch (error) {
      if (!(error instanceof ApiError) || (error.status !== 401 && error.status !== 403)) throw error;
    }
    const account = await api<{ id: string; name: string }>('/v1/account');
    sessionStorage.setItem(CREDENTIAL_KEY, credential);
    return { credential, kind: 'account', name: account.name || account.id };
  } catch (error) {
    credential = previous;
    throw error;
  }
}

export function signOut(): void {
  credential = null;
  forgetCredential();
}
