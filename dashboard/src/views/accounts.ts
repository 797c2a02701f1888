import * as api from "../api";
import { h } from "../dom";
import { formatDateTime, t, type Key } from "../i18n";
import { empty, errorBox, field, heading, loading, scroller, select, statusBadge } from "../ui";

const PLATFORMS = ["X", "Facebook", "Instagram", "WhatsApp", "TikTok"];
const STATUSES: [string, Key][] = [
  ["active", "statusActive"],
  ["reauth_required", "statusReauth"],
  ["not_found", "statusNotFound"],
  ["revoked", "statusRevoked"],
];

function lastRun(run: api.Run | null): HTMLElement {
  if (run === null) return h("span", { class: "muted" }, t("noRun"));
  return h(
    "div",
    { class: "run", "data-outcome": run.outcome },
    h("span", { class: `badge outcome-${run.outcome}` }, run.outcome),
    " ",
    formatDateTime(run.finished_at ?? run.started_at),
    h(
      "ul",
      { class: "parts" },
      run.parts.map((part) =>
        h(
          "li",
          { "data-part": part.name, "data-part-status": part.status },
          `${part.name}: ${part.status}`,
          part.detail ? ` — ${part.detail}` : "",
        ),
      ),
    ),
  );
}

export async function accounts(main: HTMLElement, params: URLSearchParams): Promise<void> {
  const platform = select("platform", [["", t("all")], ...PLATFORMS.map((p): [string, string] => [p, p])], params.get("platform") ?? "");
  const status = select("status", [["", t("all")], ...STATUSES.map(([s, key]): [string, string] => [s, t(key)])], params.get("status") ?? "");
  const form = h(
    "form",
    { class: "filters", role: "search" },
    field(t("platform"), platform),
    field(t("status"), status),
    h("button", { type: "submit" }, t("filter")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    if (platform.value) next.set("platform", platform.value);
    if (status.value) next.set("status", status.value);
    location.hash = `#/accounts${next.toString() ? `?${next}` : ""}`;
  });
  const body = h("div", { "aria-live": "polite" }, loading());
  main.replaceChildren(heading(t("navAccounts")), form, body);
  try {
    const rows = await api.listAccounts({
      platform: params.get("platform") ?? undefined,
      status: params.get("status") ?? undefined,
    });
    if (rows.length === 0) {
      body.replaceChildren(empty());
      return;
    }
    const table = h(
      "table",
      { class: "accounts", "data-testid": "accounts" },
      h("caption", { class: "sr-only" }, t("navAccounts")),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          [t("account"), t("platform"), t("status"), t("tokenExpires"), t("lastSuccess"), t("nextRun"), t("lastRun")].map(
            (label) => h("th", { scope: "col" }, label),
          ),
        ),
      ),
      h(
        "tbody",
        {},
        rows.map((account) =>
          h(
            "tr",
            { "data-account-id": account.id, "data-platform": account.platform, "data-status": account.status },
            h("th", { scope: "row" }, h("a", { href: `#/accounts/${account.id}` }, account.platform_user_id)),
            h("td", {}, account.platform),
            h("td", {}, statusBadge(account)),
            h("td", {}, formatDateTime(account.token_expires_at)),
            h("td", {}, formatDateTime(account.last_success_at)),
            h("td", {}, formatDateTime(account.next_collect_at)),
            h("td", {}, lastRun(account.last_run)),
          ),
        ),
      ),
    );
    body.replaceChildren(scroller(t("navAccounts"), table));
  } catch (error) {
    body.replaceChildren(errorBox(error));
  }
}
