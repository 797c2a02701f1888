// Turning API rows into what the charts show: one point per bucket, `null` where the platform
// returned nothing (a gap, never 0), and the moments a metric's raw provider name changed.

import type { MetricRow, SummaryRow } from "./api";

export type Interval = "day" | "week" | "month";

export interface Point {
  bucket: string; // ISO date-time of the bucket start (UTC), as the API writes it
  value: number | null;
  count: number;
  gap: boolean; // absent inside the series (between its first and last point)
}

export interface Switch {
  at: string; // first collected_at under the new raw name
  from: string;
  to: string;
}

// Snapshot metrics are summarised by their last value; event counts are summed.
const LAST = new Set([
  "followers",
  "following",
  "listed",
  "page_likes",
  "posts_count",
  "messaging_limit",
  "quality_score",
]);
const AVERAGE = new Set(["avg_watch_time_ms", "full_watch_rate"]);

export function aggregateFor(metric: string): "last" | "avg" | "sum" {
  if (LAST.has(metric)) return "last";
  if (AVERAGE.has(metric)) return "avg";
  return "sum";
}

// The charts worth showing first, in this order (others follow alphabetically).
export const PREFERRED = [
  "followers",
  "reach",
  "views",
  "impressions",
  "engagements",
  "likes",
  "comments",
  "shares",
  "video_views",
  "messages_sent",
  "messages_delivered",
  "messages_read",
  "messages_failed",
];

export function orderMetrics(metrics: Iterable<string>): string[] {
  const present = new Set(metrics);
  const first = PREFERRED.filter((m) => present.has(m));
  const rest = [...present].filter((m) => !PREFERRED.includes(m)).sort();
  return [...first, ...rest];
}

function iso(moment: Date): string {
  return moment.toISOString().replace(".000Z", "Z");
}

/** The start of the bucket holding `moment` (UTC; weeks start on Monday, like Postgres). */
export function bucketStart(moment: Date, interval: Interval): Date {
  const d = new Date(Date.UTC(moment.getUTCFullYear(), moment.getUTCMonth(), moment.getUTCDate()));
  if (interval === "week") d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  if (interval === "month") d.setUTCDate(1);
  return d;
}

function next(moment: Date, interval: Interval): Date {
  const d = new Date(moment);
  if (interval === "day") d.setUTCDate(d.getUTCDate() + 1);
  if (interval === "week") d.setUTCDate(d.getUTCDate() + 7);
  if (interval === "month") d.setUTCMonth(d.getUTCMonth() + 1);
  return d;
}

/** Every bucket from `start` to `end` (dates, inclusive), at most 400. */
export function buckets(start: string, end: string, interval: Interval): string[] {
  const out: string[] = [];
  let cursor = bucketStart(new Date(`${start}T00:00:00Z`), interval);
  const last = new Date(`${end}T00:00:00Z`);
  while (cursor <= last && out.length < 400) {
    out.push(iso(cursor));
    cursor = next(cursor, interval);
  }
  return out;
}

export function toSeries(rows: SummaryRow[], allBuckets: string[]): Point[] {
  const byBucket = new Map<string, SummaryRow>();
  for (const row of rows) byBucket.set(iso(new Date(row.bucket_start)), row);
  const present = allBuckets.map((b) => byBucket.has(b));
  const first = present.indexOf(true);
  const last = present.lastIndexOf(true);
  return allBuckets.map((bucket, index) => {
    const row = byBucket.get(bucket);
    return {
      bucket,
      value: row ? row.value : null,
      count: row ? row.count : 0,
      gap: !row && first !== -1 && index > first && index < last,
    };
  });
}

/** Where a series moved from one raw provider name to another (e.g. impressions → views). */
export function switches(rows: MetricRow[]): Switch[] {
  const named = rows
    .filter((r) => r.raw_name)
    .sort((a, b) => a.collected_at.localeCompare(b.collected_at));
  const out: Switch[] = [];
  let previous: string | null = null;
  for (const row of named) {
    const name = row.raw_name as string;
    if (previous !== null && name !== previous) out.push({ at: row.collected_at, from: previous, to: name });
    previous = name;
  }
  return out;
}

function cell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv(header: string[], rows: (string | number | null)[][]): string {
  const lines = [header, ...rows].map((r) => r.map((v) => cell(v === null ? "" : String(v))).join(","));
  return `${lines.join("\n")}\n`;
}
