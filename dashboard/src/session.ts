// The signed-in session lives in this module's variables only: no localStorage, no
// sessionStorage, no cookies. The JWT is renewed (by logging in again with the key held in
// memory) a minute before it expires; signing out forgets both.

export interface Claims {
  userId: number;
  role: string;
  expiresAt: number; // epoch ms
}

interface State {
  apiKey: string;
  token: string;
  claims: Claims;
  timer: ReturnType<typeof setTimeout> | null;
}

let state: State | null = null;
const listeners: Array<() => void> = [];

export function decodeClaims(token: string): Claims {
  const payload = token.split(".")[1] ?? "";
  const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
  const body = JSON.parse(json) as { sub: string; role?: string; exp: number };
  return { userId: Number(body.sub), role: String(body.role ?? "client"), expiresAt: body.exp * 1000 };
}

export function current(): State | null {
  return state;
}

export function token(): string | null {
  return state?.token ?? null;
}

export function claims(): Claims | null {
  return state?.claims ?? null;
}

export function isAdmin(): boolean {
  return state?.claims.role === "admin";
}

export function start(
  apiKey: string,
  accessToken: string,
  expiresIn: number,
  renew: (apiKey: string) => Promise<{ access_token: string; expires_in: number }>,
): void {
  end(false);
  const claims = decodeClaims(accessToken);
  state = { apiKey, token: accessToken, claims, timer: null };
  const delay = Math.max(5, expiresIn - 60) * 1000;
  state.timer = setTimeout(async () => {
    if (state === null) return;
    try {
      const fresh = await renew(state.apiKey);
      start(state.apiKey, fresh.access_token, fresh.expires_in, renew);
    } catch {
      end(true);
    }
  }, delay);
}

export function end(notify = true): void {
  if (state?.timer) clearTimeout(state.timer);
  state = null;
  if (notify) listeners.forEach((listener) => listener());
}

export function onEnd(listener: () => void): void {
  listeners.push(listener);
}
