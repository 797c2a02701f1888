import * as api from "../api";
import { lineChart } from "../chart";
import { download, h } from "../dom";
import { formatDateTime, formatDay, formatNumber, metricLabel, t } from "../i18n";
import { aggregateFor, buckets, orderMetrics, switches, toCsv, toSeries, type Interval, type Point, type Switch } from "../series";
import { empty, errorBox, field, heading, loading, scroller, select, statusBadge } from "../ui";

export interface Range {
  interval: Interval;
  from: string;
  to: string;
}

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

function daysAgo(days: number): string {
  return new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
}

export function readRange(params: URLSearchParams): Range {
  const interval = params.get("interval");
  const valid = /^\d{4}-\d{2}-\d{2}$/;
  const from = params.get("from") ?? "";
  const to = params.get("to") ?? "";
  return {
    interval: interval === "week" || interval === "month" ? interval : "day",
    from: valid.test(from) ? from : daysAgo(29),
    to: valid.test(to) ? to : today(),
  };
}

/** Interval + date range controls; `apply` gets the new range. */
export function rangeForm(range: Range, apply: (range: Range) => void, extra: HTMLElement[] = []): HTMLFormElement {
  const interval = select(
    "interval",
    [
      ["day", t("day")],
      ["week", t("week")],
      ["month", t("month")],
    ],
    range.interval,
  );
  const from = h("input", { type: "date", name: "from", value: range.from, required: true });
  const to = h("input", { type: "date", name: "to", value: range.to, required: true });
  const form = h(
    "form",
    { class: "filters" },
    ...extra,
    field(t("interval"), interval),
    field(t("from"), from),
    field(t("to"), to),
    h("button", { type: "submit" }, t("apply")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    apply({ interval: interval.value as Interval, from: from.value, to: to.value });
  });
  interval.addEventListener("change", () => form.requestSubmit());
  return form;
}

export function rangeQuery(range: Range): api.Query {
  return { start_date: range.from, end_date: range.to };
}

/** The summary rows of one metric for one account (rows of other accounts/objects dropped). */
export async function accountSeries(account: api.Account, metric: string, range: Range): Promise<Point[]> {
  const rows = await api.summary({
    ...api.accountScope(account),
    ...rangeQuery(range),
    metric_type: metric,
    interval: range.interval,
    agg: aggregateFor(metric),
    object_type: "account",
  });
  const mine = rows.filter(
    (r) =>
      r.metric_type === metric &&
      (r.account_id === undefined || r.account_id === account.id) &&
      (r.object_type === undefined || r.object_type === "account"),
  );
  return toSeries(mine, buckets(range.from, range.to, range.interval));
}

export function dataTable(metric: string, label: string, points: Point[]): HTMLElement {
  const table = h(
    "table",
    { class: "data", "data-metric": metric },
    h("caption", {}, `${t("dataTable")}: ${label}`),
    h(
      "thead",
      {},
      h("tr", {}, h("th", { scope: "col" }, t("bucket")), h("th", { scope: "col" }, t("value")), h("th", { scope: "col" }, t("points"))),
    ),
    h(
      "tbody",
      {},
      points
        .filter((p) => p.value !== null || p.gap)
        .map((p) =>
          h(
            "tr",
            { "data-bucket": p.bucket, "data-value": p.value === null ? "" : p.value, "data-gap": p.gap ? "true" : null },
            h("td", {}, formatDay(p.bucket)),
            h("td", {}, p.value === null ? h("span", { class: "gap" }, `— (${t("gap")})`) : formatNumber(p.value)),
            h("td", {}, p.count),
          ),
        ),
    ),
  );
  return h("details", { class: "data-points" }, h("summary", {}, t("dataTable")), scroller(`${t("dataTable")}: ${label}`, table));
}

function markers(points: Point[], marks: Switch[]): HTMLElement | null {
  const gaps = points.filter((p) => p.gap).map((p) => formatDay(p.bucket));
  const items: HTMLElement[] = [];
  if (gaps.length) items.push(h("li", { class: "marker-gap", "data-gaps": gaps.join(" ") }, `${t("gapsIn")}: ${gaps.join(", ")}`));
  for (const mark of marks) {
    items.push(
      h(
        "li",
        { class: "marker-deprecation", "data-from": mark.from, "data-to": mark.to, "data-at": mark.at },
        `${t("deprecation")}: ${mark.from} → ${mark.to} (${formatDateTime(mark.at)})`,
      ),
    );
  }
  return items.length ? h("ul", { class: "markers" }, items) : null;
}

interface Post {
  id: string;
  type: string;
  values: Map<string, number>;
}

function topPosts(rows: api.MetricRow[]): HTMLElement {
  const posts = new Map<string, Post>();
  const latest = new Map<string, string>();
  const metrics = new Set<string>();
  for (const row of rows) {
    if (row.object_type === "account" || row.period !== "lifetime") continue;
    const key = `${row.object_id}|${row.metric_type}`;
    if ((latest.get(key) ?? "") > row.collected_at) continue;
    latest.set(key, row.collected_at);
    const post = posts.get(row.object_id) ?? { id: row.object_id, type: row.object_type, values: new Map() };
    post.values.set(row.metric_type, row.value);
    posts.set(row.object_id, post);
    metrics.add(row.metric_type);
  }
  const section = h("section", { class: "card", "aria-labelledby": "top-posts" }, h("h2", { id: "top-posts" }, t("topPosts")));
  if (posts.size === 0) {
    section.append(empty(t("noPosts")));
    return section;
  }
  const columns = orderMetrics(metrics);
  let sortBy = columns[0] as string;
  const body = h("tbody");
  const heads = new Map<string, HTMLTableCellElement>();
  function render(): void {
    const sorted = [...posts.values()].sort((a, b) => (b.values.get(sortBy) ?? -Infinity) - (a.values.get(sortBy) ?? -Infinity));
    body.replaceChildren(
      ...sorted.map((post) =>
        h(
          "tr",
          { "data-post": post.id },
          h("th", { scope: "row" }, post.id),
          columns.map((m) => {
            const v = post.values.get(m);
            return h("td", { "data-metric": m }, v === undefined ? "—" : formatNumber(v));
          }),
        ),
      ),
    );
    for (const [metric, th] of heads) th.setAttribute("aria-sort", metric === sortBy ? "descending" : "none");
  }
  const headRow = h("tr", {}, h("th", { scope: "col" }, t("post")));
  for (const metric of columns) {
    const button = h("button", { type: "button", class: "sort", "data-sort": metric }, metricLabel(metric));
    button.addEventListener("click", () => {
      sortBy = metric;
      render();
    });
    const th = h("th", { scope: "col" }, button);
    heads.set(metric, th);
    headRow.append(th);
  }
  const table = h("table", { class: "posts", "data-testid": "top-posts" }, h("caption", { class: "sr-only" }, t("topPosts")), h("thead", {}, headRow), body);
  render();
  section.append(scroller(t("topPosts"), table));
  return section;
}

function runsTable(runs: api.Run[]): HTMLElement | null {
  if (runs.length === 0) return null;
  const table = h(
    "table",
    { class: "runs" },
    h("caption", { class: "sr-only" }, t("runs")),
    h("thead", {}, h("tr", {}, [t("started"), t("outcome"), t("points"), t("parts")].map((c) => h("th", { scope: "col" }, c)))),
    h(
      "tbody",
      {},
      runs.map((run) =>
        h(
          "tr",
          { "data-run": run.id },
          h("td", {}, formatDateTime(run.started_at)),
          h("td", {}, run.outcome),
          h("td", {}, run.points_written),
          h("td", {}, run.parts.map((p) => `${p.name}: ${p.status}`).join("; ")),
        ),
      ),
    ),
  );
  return h("section", { class: "card", "aria-labelledby": "runs" }, h("h2", { id: "runs" }, t("runs")), scroller(t("runs"), table));
}

export async function detail(main: HTMLElement, id: number, params: URLSearchParams): Promise<void> {
  const body = h("div", { "aria-live": "polite" }, loading());
  main.replaceChildren(h("p", {}, h("a", { href: "#/accounts" }, `← ${t("back")}`)), body);
  let account: api.Account | null;
  try {
    account = await api.getAccount(id);
  } catch (error) {
    body.replaceChildren(errorBox(error));
    return;
  }
  if (account === null) {
    body.replaceChildren(heading(t("accountNotFound")), empty(t("accountNotFound")));
    return;
  }
  const acc = account;
  const range = readRange(params);
  const form = rangeForm(range, (next) => {
    location.hash = `#/accounts/${id}?interval=${next.interval}&from=${next.from}&to=${next.to}`;
  });
  const charts = h("div", { class: "charts", "aria-busy": "true" }, loading());
  const downloads = h("div", { class: "downloads" });
  const extra = h("div");
  body.replaceChildren(
    heading(`${acc.platform} · ${acc.platform_user_id}`),
    h("p", {}, statusBadge(acc), acc.status_reason ? ` ${acc.status_reason}` : ""),
    form,
    downloads,
    h("section", { "aria-labelledby": "charts-title" }, h("h2", { id: "charts-title", class: "sr-only" }, t("charts")), charts),
    extra,
  );
  const rawQuery = { ...api.accountScope(acc), ...rangeQuery(range) };
  try {
    const [raw, runs] = await Promise.all([api.metrics(rawQuery), api.accountRuns(id)]);
    const accountRows = raw.filter((r) => r.object_type === "account" && (r.account_id === undefined || r.account_id === acc.id));
    const metricTypes = orderMetrics(new Set(accountRows.map((r) => r.metric_type)));
    const series = await Promise.all(metricTypes.map((m) => accountSeries(acc, m, range)));
    charts.removeAttribute("aria-busy");
    if (metricTypes.length === 0) charts.replaceChildren(empty(t("noMetrics")));
    else charts.replaceChildren();
    metricTypes.forEach((metric, index) => {
      const points = series[index] as Point[];
      const label = metricLabel(metric);
      const marks = switches(accountRows.filter((r) => r.metric_type === metric));
      const plot = h("div", { class: "plot" });
      const titleId = `chart-${metric}`;
      const card = h(
        "section",
        { class: "card chart", "data-chart": metric, "aria-labelledby": titleId },
        h("h2", { id: titleId }, label, h("span", { class: "agg" }, ` (${aggregateFor(metric)})`)),
        plot,
        markers(points, marks),
        dataTable(metric, label, points),
      );
      charts.append(card);
      lineChart(plot, [{ label, points }], marks);
    });
    const csvButton = h("button", { type: "button", "data-download": "chart" }, t("downloadCsv"));
    csvButton.addEventListener("click", () => {
      const rows: (string | number | null)[][] = [];
      metricTypes.forEach((metric, index) => {
        for (const p of series[index] as Point[]) {
          if (p.value !== null || p.gap) rows.push([metric, range.interval, aggregateFor(metric), p.bucket, p.value, p.count]);
        }
      });
      download(
        `account-${id}-${range.interval}-${range.from}-${range.to}.csv`,
        toCsv(["metric_type", "interval", "agg", "bucket_start", "value", "count"], rows),
        "text/csv",
      );
    });
    const rawButton = h("button", { type: "button", "data-download": "raw" }, t("downloadRaw"));
    rawButton.addEventListener("click", async () => {
      try {
        const exported = await api.metricsCsv(rawQuery);
        if ("url" in exported) window.location.assign(exported.url);
        else download(`account-${id}-points-${range.from}-${range.to}.csv`, exported.csv, "text/csv");
      } catch (error) {
        downloads.append(errorBox(error));
      }
    });
    downloads.replaceChildren(csvButton, rawButton);
    extra.replaceChildren(topPosts(raw), runsTable(runs) ?? "");
  } catch (error) {
    charts.removeAttribute("aria-busy");
    charts.replaceChildren(errorBox(error));
  }
}
