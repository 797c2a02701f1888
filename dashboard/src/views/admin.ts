import * as api from "../api";
import { h } from "../dom";
import { formatDateTime, t } from "../i18n";
import * as session from "../session";
import { empty, errorBox, field, heading, loading, scroller, select, statusBadge } from "../ui";

export async function admin(main: HTMLElement): Promise<void> {
  if (!session.isAdmin()) {
    main.replaceChildren(heading(t("navAdmin")), empty(t("adminOnly")));
    return;
  }
  const body = h("div", { "aria-live": "polite" }, loading());
  const name = h("input", { name: "name", required: true, autocomplete: "off" });
  const email = h("input", { name: "email", type: "email", required: true, autocomplete: "off" });
  const role = select("role", [["client", "client"], ["admin", "admin"]], "client");
  const created = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { class: "card filters", "aria-labelledby": "create-user" },
    h("h2", { id: "create-user" }, t("createUser")),
    field(t("name"), name),
    field(t("email"), email),
    field(t("role"), role),
    h("button", { type: "submit" }, t("create")),
    created,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const user = await api.createUser({ name: name.value.trim(), email: email.value.trim(), role: role.value });
      const key = h("output", { class: "secret", "data-api-key": "" }, user.api_key);
      const copy = h("button", { type: "button" }, t("copy"));
      copy.addEventListener("click", async () => {
        await navigator.clipboard?.writeText(user.api_key).catch(() => undefined);
        copy.textContent = t("copied");
      });
      created.replaceChildren(h("p", { class: "notice" }, t("keyOnce")), key, " ", copy);
      name.value = "";
      email.value = "";
      await loadUsers(body);
    } catch (error) {
      created.replaceChildren(errorBox(error));
    }
  });
  main.replaceChildren(heading(t("adminTitle")), form, body);
  await loadUsers(body);
}

async function loadUsers(body: HTMLElement): Promise<void> {
  try {
    const [users, accounts] = await Promise.all([api.users(), api.listAccounts()]);
    const byUser = new Map<number, api.Account[]>();
    for (const a of accounts) byUser.set(a.user_id, [...(byUser.get(a.user_id) ?? []), a]);
    const table = h(
      "table",
      { class: "users", "data-testid": "users" },
      h("caption", { class: "sr-only" }, t("users")),
      h("thead", {}, h("tr", {}, [t("name"), t("email"), t("role"), t("created"), t("accounts")].map((c) => h("th", { scope: "col" }, c)))),
      h(
        "tbody",
        {},
        users.map((u) =>
          h(
            "tr",
            { "data-user-id": u.user_id },
            h("th", { scope: "row" }, u.name),
            h("td", {}, u.email),
            h("td", {}, u.role),
            h("td", {}, formatDateTime(u.created_at)),
            h(
              "td",
              {},
              h(
                "ul",
                { class: "plain" },
                (byUser.get(u.user_id) ?? []).map((a) => h("li", {}, h("a", { href: `#/accounts/${a.id}` }, `${a.platform} · ${a.platform_user_id}`), " ", statusBadge(a))),
              ),
            ),
          ),
        ),
      ),
    );
    body.replaceChildren(h("section", { class: "card", "aria-label": t("users") }, scroller(t("users"), table)));
  } catch (error) {
    body.replaceChildren(errorBox(error));
  }
}
