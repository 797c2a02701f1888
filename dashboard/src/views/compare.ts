import * as api from "../api";
import { lineChart } from "../chart";
import { h } from "../dom";
import { metricLabel, t } from "../i18n";
import { PREFERRED, type Point } from "../series";
import { empty, errorBox, field, heading, loading, select } from "../ui";
import { accountSeries, dataTable, rangeForm, readRange } from "./detail";

export async function compare(main: HTMLElement, params: URLSearchParams): Promise<void> {
  const body = h("div", { "aria-live": "polite" }, loading());
  main.replaceChildren(heading(t("compareTitle")), body);
  let accounts: api.Account[];
  try {
    accounts = await api.listAccounts();
  } catch (error) {
    body.replaceChildren(errorBox(error));
    return;
  }
  if (accounts.length === 0) {
    body.replaceChildren(empty());
    return;
  }
  const range = readRange(params);
  const metric = params.get("metric") ?? "followers";
  const chosen = new Set((params.get("accounts") ?? accounts.slice(0, 3).map((a) => a.id).join(",")).split(",").map(Number));
  const metricSelect = select("metric", PREFERRED.map((m): [string, string] => [m, metricLabel(m)]), metric);
  const boxes = accounts.map((a) =>
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "account", value: a.id, checked: chosen.has(a.id) }), ` ${a.platform} · ${a.platform_user_id}`),
  );
  const picker = h("fieldset", { class: "accounts-picker" }, h("legend", {}, t("accountsToCompare")), boxes);
  const form = rangeForm(
    range,
    (next) => {
      const ids = [...picker.querySelectorAll<HTMLInputElement>("input:checked")].map((i) => i.value);
      const q = new URLSearchParams({ metric: metricSelect.value, accounts: ids.join(","), interval: next.interval, from: next.from, to: next.to });
      location.hash = `#/compare?${q}`;
    },
    [field(t("metric"), metricSelect), picker],
  );
  const result = h("div", {}, loading());
  body.replaceChildren(form, result);
  const selected = accounts.filter((a) => chosen.has(a.id));
  if (selected.length === 0) {
    result.replaceChildren(empty(t("chooseAccounts")));
    return;
  }
  try {
    const series = await Promise.all(selected.map((a) => accountSeries(a, metric, range)));
    const plot = h("div", { class: "plot" });
    const tables = selected.map((a, i) => dataTable(`${metric}:${a.id}`, `${a.platform} · ${a.platform_user_id}`, series[i] as Point[]));
    result.replaceChildren(h("section", { class: "card chart", "data-chart": metric, "aria-label": metricLabel(metric) }, h("h2", {}, metricLabel(metric)), plot, ...tables));
    lineChart(
      plot,
      selected.map((a, i) => ({ label: `${a.platform} · ${a.platform_user_id}`, points: series[i] as Point[] })),
    );
  } catch (error) {
    result.replaceChildren(errorBox(error));
  }
}
