// Shared pieces of every screen: status badges, errors, loading and empty states, fields.

import { ApiError, type Account } from "./api";
import { h } from "./dom";
import { formatDateTime, t, type Key } from "./i18n";

const STATUS_LABEL: Record<string, Key> = {
  active: "statusActive",
  reauth_required: "statusReauth",
  not_found: "statusNotFound",
  revoked: "statusRevoked",
};

export function paused(account: Account): boolean {
  return account.paused_until !== null && Date.parse(account.paused_until) > Date.now();
}

export function statusBadge(account: Account): HTMLElement {
  const key = STATUS_LABEL[account.status];
  const text = key ? t(key) : account.status;
  const badge = h(
    "span",
    { class: `badge status-${account.status}`, "data-status": account.status, title: account.status_reason ?? "" },
    text,
  );
  if (!paused(account)) return badge;
  return h(
    "span",
    {},
    badge,
    " ",
    h("span", { class: "badge status-paused", "data-status": "paused" }, `${t("statusPaused")} ${formatDateTime(account.paused_until)}`),
  );
}

export function errorBox(error: unknown): HTMLElement {
  const title = error instanceof ApiError ? error.title : t("error");
  const detail = error instanceof ApiError ? error.detail : error instanceof Error ? error.message : String(error);
  return h(
    "div",
    { class: "error", role: "alert" },
    h("strong", { class: "error-title" }, title),
    detail ? h("p", { class: "error-detail" }, detail) : null,
  );
}

export function loading(): HTMLElement {
  return h("p", { class: "loading", role: "status" }, t("loading"));
}

export function empty(text: string = t("empty")): HTMLElement {
  return h("p", { class: "empty", role: "status" }, text);
}

export function field(label: string, control: HTMLElement): HTMLElement {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 8)}`;
  control.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, label), control);
}

export function select(name: string, options: [string, string][], value: string): HTMLSelectElement {
  const el = h("select", { name });
  for (const [optionValue, label] of options) {
    el.append(h("option", { value: optionValue, selected: optionValue === value }, label));
  }
  return el;
}

/** A table that scrolls sideways on a narrow screen (focusable so the keyboard can scroll). */
export function scroller(label: string, table: HTMLTableElement): HTMLElement {
  return h("div", { class: "table-scroll", tabindex: 0, role: "region", "aria-label": label }, table);
}

export function heading(text: string): HTMLHeadingElement {
  return h("h1", { tabindex: -1 }, text);
}
