import * as api from "../api";
import { download, h } from "../dom";
import { formatDateTime, t } from "../i18n";
import * as session from "../session";
import { empty, errorBox, heading, loading, scroller } from "../ui";

const PURPOSE = "metrics_collection";

export async function privacy(main: HTMLElement): Promise<void> {
  const me = session.claims();
  if (me === null) return;
  const body = h("div", { "aria-live": "polite" }, loading());
  const status = h("div", { "aria-live": "polite", class: "status-line" });
  main.replaceChildren(heading(t("privacyTitle")), status, body);
  let history: api.Consent[];
  let user: api.User;
  try {
    [history, user] = await Promise.all([api.consents(me.userId), api.me(me.userId)]);
  } catch (error) {
    body.replaceChildren(errorBox(error));
    return;
  }
  const latest = new Map<string, api.Consent>();
  for (const entry of history) latest.set(entry.purpose, entry);
  const state = h(
    "section",
    { class: "card", "aria-labelledby": "consent-state" },
    h("h2", { id: "consent-state" }, t("consentState")),
    latest.size === 0
      ? empty(t("noConsent"))
      : h(
          "ul",
          {},
          [...latest.values()].map((c) =>
            h("li", { "data-purpose": c.purpose, "data-given": String(c.consent_given) }, `${c.purpose}: ${c.consent_given ? t("given") : t("withdrawn")} (${formatDateTime(c.recorded_at)})`),
          ),
        ),
  );
  const given = latest.get(PURPOSE)?.consent_given ?? false;
  const toggle = h("button", { type: "button", "data-action": "consent" }, given ? t("withdrawConsent") : t("giveConsent"));
  toggle.addEventListener("click", async () => {
    try {
      await api.recordConsent(me.userId, !given, PURPOSE);
      await privacy(main);
    } catch (error) {
      status.replaceChildren(errorBox(error));
    }
  });
  state.append(toggle);
  const table = h(
    "table",
    { class: "consents" },
    h("caption", { class: "sr-only" }, t("consentHistory")),
    h("thead", {}, h("tr", {}, [t("recordedAt"), t("purpose"), t("status"), t("policy")].map((c) => h("th", { scope: "col" }, c)))),
    h(
      "tbody",
      {},
      [...history].reverse().map((c) =>
        h("tr", {}, h("td", {}, formatDateTime(c.recorded_at)), h("td", {}, c.purpose), h("td", {}, c.consent_given ? t("given") : t("withdrawn")), h("td", {}, c.policy_version)),
      ),
    ),
  );
  const historySection = h(
    "section",
    { class: "card", "aria-labelledby": "consent-history" },
    h("h2", { id: "consent-history" }, t("consentHistory")),
    history.length ? scroller(t("consentHistory"), table) : empty(t("noConsent")),
  );
  const exportButton = h("button", { type: "button", "data-action": "export" }, t("exportData"));
  exportButton.addEventListener("click", async () => {
    try {
      download(`user-${me.userId}-export.json`, await api.exportUser(me.userId), "application/json");
      status.replaceChildren(h("p", { role: "status" }, t("exportDone")));
    } catch (error) {
      status.replaceChildren(errorBox(error));
    }
  });
  const eraseButton = h("button", { type: "button", class: "danger", "data-action": "erase" }, t("erase"));
  const confirmBox = h("div");
  eraseButton.addEventListener("click", () => {
    const email = h("input", { id: "erase-email", type: "email", autocomplete: "off", required: true });
    const confirmForm = h(
      "form",
      { class: "confirm", "aria-labelledby": "erase-warning" },
      h("p", { id: "erase-warning" }, t("eraseWarning")),
      h("div", { class: "field" }, h("label", { for: "erase-email" }, t("email")), email),
      h("button", { type: "submit", class: "danger" }, t("eraseConfirm")),
      " ",
      h("button", { type: "button", "data-action": "cancel", onclick: () => confirmBox.replaceChildren() }, t("cancel")),
    );
    confirmForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (email.value.trim().toLowerCase() !== user.email.toLowerCase()) {
        status.replaceChildren(h("p", { role: "alert", class: "error" }, t("emailMismatch")));
        return;
      }
      try {
        await api.eraseUser(me.userId);
        session.end(true);
        alertAfterSignOut(t("erased"));
      } catch (error) {
        status.replaceChildren(errorBox(error));
      }
    });
    confirmBox.replaceChildren(confirmForm);
    email.focus();
  });
  const rights = h("section", { class: "card", "aria-label": t("exportData") }, exportButton, " ", eraseButton, confirmBox);
  body.replaceChildren(state, historySection, rights);
}

function alertAfterSignOut(message: string): void {
  setTimeout(() => {
    const main = document.getElementById("main");
    main?.prepend(h("p", { role: "status", class: "notice" }, message));
  }, 0);
}
