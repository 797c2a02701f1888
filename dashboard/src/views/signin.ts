import * as api from "../api";
import { h } from "../dom";
import { t } from "../i18n";
import * as session from "../session";
import { errorBox, heading } from "../ui";

export function signIn(main: HTMLElement, onSignedIn: () => void): void {
  const key = h("input", {
    id: "api-key",
    name: "api_key",
    type: "password",
    autocomplete: "off",
    required: true,
    "aria-describedby": "api-key-hint",
  });
  const status = h("div", { "aria-live": "polite" });
  const button = h("button", { type: "submit" }, t("signIn"));
  const form = h(
    "form",
    { class: "card signin", "aria-labelledby": "signin-title" },
    h("div", { class: "field" }, h("label", { for: "api-key" }, t("apiKey")), key),
    h("p", { id: "api-key-hint", class: "hint" }, t("apiKeyHint")),
    button,
    status,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.replaceChildren();
    button.disabled = true;
    const value = key.value.trim();
    try {
      const issued = await api.login(value);
      session.start(value, issued.access_token, issued.expires_in, api.login);
      key.value = "";
      onSignedIn();
    } catch (error) {
      status.replaceChildren(errorBox(error));
      key.focus();
    } finally {
      button.disabled = false;
    }
  });
  const title = heading(t("signInTitle"));
  title.id = "signin-title";
  main.replaceChildren(title, form);
  key.focus();
}
