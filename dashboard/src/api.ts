// The only place that talks to the API. Errors are problem+json (title/detail) → ApiError.
// Accounts go through one adapter: `GET /accounts` when the API has it, else each user's
// `/users/{id}/tokens/` (the older route), mapped to the same shape.

import * as session from "./session";

export interface Config {
  apiUrl: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
  ) {
    super(detail ? `${title}: ${detail}` : title);
  }
}

let base = "";

export function configure(config: Config): void {
  base = (config.apiUrl || "").replace(/\/+$/, "");
}

export type Query = Record<string, string | number | null | undefined>;

function url(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== null && value !== undefined && value !== "") params.set(name, String(value));
  }
  const qs = params.toString();
  return `${base}${path}${qs ? `?${qs}` : ""}`;
}

async function fail(response: Response): Promise<never> {
  let title = response.statusText || `HTTP ${response.status}`;
  let detail = "";
  try {
    const body = (await response.json()) as { title?: string; detail?: string; message?: string };
    title = body.title ?? body.message ?? title;
    detail = body.detail ?? "";
  } catch {
    /* not JSON: keep the status text */
  }
  if (response.status === 401 && session.token() !== null) session.end(true);
  throw new ApiError(response.status, title, detail);
}

interface Options {
  method?: string;
  body?: unknown;
  accept?: string;
  query?: Query;
  auth?: boolean;
}

export async function call(path: string, options: Options = {}): Promise<Response> {
  const headers: Record<string, string> = { Accept: options.accept ?? "application/json" };
  const bearer = session.token();
  if (options.auth !== false && bearer) headers.Authorization = `Bearer ${bearer}`;
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url(path, options.query), {
    method: options.method ?? "GET",
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    credentials: "omit",
    cache: "no-store",
  });
  if (!response.ok) await fail(response);
  return response;
}

export async function json<T>(path: string, options: Options = {}): Promise<T> {
  const response = await call(path, options);
  return (await response.json()) as T;
}

/** Every page of a keyset-paginated list (X-Next-Cursor), up to `maxPages`. */
export async function all<T>(path: string, query: Query, maxPages = 20): Promise<T[]> {
  const rows: T[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < maxPages; page += 1) {
    const response = await call(path, { query: { ...query, cursor } });
    rows.push(...((await response.json()) as T[]));
    cursor = response.headers.get("X-Next-Cursor");
    if (!cursor) break;
  }
  return rows;
}

// --- auth -----------------------------------------------------------------------------------

export interface TokenOut {
  access_token: string;
  expires_in: number;
}

export function login(apiKey: string): Promise<TokenOut> {
  return json<TokenOut>("/auth/login", { method: "POST", body: { api_key: apiKey }, auth: false });
}

// --- accounts (adapter) ---------------------------------------------------------------------

export interface RunPart {
  name: string;
  status: string;
  detail: string | null;
  retry_at: string | null;
}

export interface Run {
  id: number;
  started_at: string;
  finished_at: string | null;
  outcome: string;
  points_written: number;
  parts: RunPart[];
}

export interface Account {
  id: number;
  user_id: number;
  platform: string;
  platform_user_id: string;
  status: string;
  status_reason: string | null;
  paused_until: string | null;
  token_expires_at: string | null;
  last_success_at: string | null;
  next_collect_at: string | null;
  last_run: Run | null;
}

interface TokenMetadata {
  account_id: number;
  platform: string;
  platform_user_id: string;
  status: string;
  status_reason: string | null;
  expires_at: string | null;
  last_collected_at: string | null;
  next_collect_at: string | null;
}

export interface User {
  user_id: number;
  name: string;
  email: string;
  role: string;
  created_at: string;
}

export interface AccountFilters {
  platform?: string;
  status?: string;
  user_id?: number;
}

let accountsRoute: "accounts" | "tokens" | null = null;

function fromTokens(userId: number, rows: TokenMetadata[]): Account[] {
  return rows.map((row) => ({
    id: row.account_id,
    user_id: userId,
    platform: row.platform,
    platform_user_id: row.platform_user_id,
    status: row.status,
    status_reason: row.status_reason,
    paused_until: null,
    token_expires_at: row.expires_at,
    last_success_at: row.last_collected_at,
    next_collect_at: row.next_collect_at,
    last_run: null,
  }));
}

async function viaTokens(filters: AccountFilters): Promise<Account[]> {
  const me = session.claims();
  if (me === null) return [];
  let userIds = [filters.user_id ?? me.userId];
  if (session.isAdmin() && filters.user_id === undefined) {
    userIds = (await all<User>("/users/", { limit: 1000 }, 5)).map((u) => u.user_id);
  }
  const lists = await Promise.all(
    userIds.map(async (id) => fromTokens(id, await json<TokenMetadata[]>(`/users/${id}/tokens/`))),
  );
  return lists
    .flat()
    .filter((a) => !filters.platform || a.platform.toLowerCase() === filters.platform.toLowerCase())
    .filter((a) => !filters.status || a.status === filters.status);
}

export async function listAccounts(filters: AccountFilters = {}): Promise<Account[]> {
  if (accountsRoute !== "tokens") {
    try {
      const rows = await all<Account>("/accounts", { ...filters, limit: 500 }, 10);
      accountsRoute = "accounts";
      return rows;
    } catch (error) {
      // An API without the /accounts routes answers 404 (or 405) for the list itself.
      if (!(error instanceof ApiError) || (error.status !== 404 && error.status !== 405)) throw error;
      accountsRoute = "tokens";
    }
  }
  return viaTokens(filters);
}

export async function getAccount(id: number): Promise<Account | null> {
  if (accountsRoute === null) await listAccounts();
  if (accountsRoute === "accounts") {
    try {
      return await json<Account>(`/accounts/${id}`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
  }
  return (await viaTokens({})).find((a) => a.id === id) ?? null;
}

export async function accountRuns(id: number): Promise<Run[]> {
  if (accountsRoute !== "accounts") return [];
  const runs = await json<Run[]>(`/accounts/${id}/runs`, { query: { limit: 10 } });
  return runs.slice(0, 10);
}

/** The filters that select one account's metrics. */
export function accountScope(account: Account): Query {
  return { user_id: account.user_id, platform: account.platform, account_id: account.id };
}

// --- metrics --------------------------------------------------------------------------------

export interface MetricRow {
  metric_id: number;
  metric_type: string;
  value: number;
  collected_at: string;
  object_type: string;
  object_id: string;
  period: string;
  raw_name: string | null;
  account_id?: number;
}

export interface SummaryRow {
  bucket_start: string;
  metric_type: string;
  value: number;
  count: number;
  platform_id: number;
  account_id?: number;
  object_type?: string;
  period?: string;
}

export function metrics(query: Query): Promise<MetricRow[]> {
  return all<MetricRow>("/metrics/", { ...query, limit: 1000 }, 20);
}

export function summary(query: Query): Promise<SummaryRow[]> {
  return all<SummaryRow>("/metrics/summary", { ...query, limit: 1000 }, 10);
}

// A CSV too large for one response comes back as an export job (202): poll it until its file
// is in the bucket, then hand back the presigned URL to navigate to (a download, not a fetch:
// the bucket is another origin).
interface ExportJob {
  status: "pending" | "running" | "ready" | "failed";
  status_url: string;
  download_url?: string;
  reason?: string;
}

export type CsvExport = { csv: string } | { url: string };

const EXPORT_POLL_MS = 2_000;
const EXPORT_POLLS = 150; // five minutes: the export worker's timeout

export async function metricsCsv(query: Query): Promise<CsvExport> {
  const response = await call("/metrics/", { query, accept: "text/csv" });
  if (response.status !== 202) return { csv: await response.text() };
  let job = (await response.json()) as ExportJob;
  for (let poll = 0; poll < EXPORT_POLLS && (job.status === "pending" || job.status === "running"); poll++) {
    await new Promise((resolve) => setTimeout(resolve, EXPORT_POLL_MS));
    job = await json<ExportJob>(job.status_url);
  }
  if (job.status === "ready" && job.download_url) return { url: job.download_url };
  throw new ApiError(202, "Export not ready", job.reason ?? "The export is still being written; try again later.");
}

// --- users, consent, rights -----------------------------------------------------------------

export interface Consent {
  consent_id: number;
  purpose: string;
  consent_given: boolean;
  policy_version: string;
  recorded_at: string;
}

export function users(): Promise<User[]> {
  return all<User>("/users/", { limit: 1000 }, 5);
}

export function me(userId: number): Promise<User> {
  return json<User>(`/users/${userId}`);
}

export function createUser(body: { name: string; email: string; role: string }): Promise<User & { api_key: string }> {
  return json("/users/", { method: "POST", body });
}

export function consents(userId: number): Promise<Consent[]> {
  return json<Consent[]>(`/consent/${userId}`);
}

export async function recordConsent(userId: number, given: boolean, purpose: string): Promise<void> {
  await call("/consent/", { method: "POST", body: { user_id: userId, consent_given: given, purpose } });
}

export async function exportUser(userId: number): Promise<string> {
  return (await call(`/users/${userId}/export`)).text();
}

export async function eraseUser(userId: number): Promise<void> {
  await call(`/users/${userId}`, { method: "DELETE" });
}
