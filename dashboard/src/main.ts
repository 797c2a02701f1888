// Boot: read config.json (the API URL, written at deploy time), pick the language, then route
// on the location hash. Nothing is persisted in the browser.

import * as api from "./api";
import { destroyDetached } from "./chart";
import { h } from "./dom";
import { language, preferredLanguage, setLanguage, t, type Lang } from "./i18n";
import * as session from "./session";
import { errorBox, select } from "./ui";
import { accounts } from "./views/accounts";
import { admin } from "./views/admin";
import { compare } from "./views/compare";
import { detail } from "./views/detail";
import { privacy } from "./views/privacy";
import { signIn } from "./views/signin";

const root = document.getElementById("app") as HTMLElement;

function shell(): HTMLElement {
  const main = h("main", { id: "main", tabindex: -1 });
  const lang = select(
    "language",
    [
      ["pt-BR", "Português (Brasil)"],
      ["en", "English"],
    ],
    language(),
  );
  lang.id = "language";
  lang.addEventListener("change", () => {
    setLanguage(lang.value as Lang);
    void route();
  });
  const signedIn = session.claims() !== null;
  const links: [string, string][] = [
    ["#/accounts", t("navAccounts")],
    ["#/compare", t("navCompare")],
    ["#/privacy", t("navPrivacy")],
  ];
  if (session.isAdmin()) links.push(["#/admin", t("navAdmin")]);
  const current = location.hash.split("?")[0] ?? "";
  const skip = h("a", { class: "skip", href: "#main" }, t("skip"));
  skip.addEventListener("click", (event) => {
    event.preventDefault();
    main.focus();
  });
  const out = h("button", { type: "button", "data-action": "sign-out" }, t("signOut"));
  out.addEventListener("click", () => {
    session.end(true);
  });
  const header = h(
    "header",
    { class: "top" },
    h("span", { class: "brand" }, t("appName")),
    signedIn
      ? h(
          "nav",
          { "aria-label": t("appName") },
          h(
            "ul",
            {},
            links.map(([href, label]) =>
              h("li", {}, h("a", { href, "aria-current": current.startsWith(href) ? "page" : null }, label)),
            ),
          ),
        )
      : null,
    h("div", { class: "tools" }, h("label", { for: "language", class: "sr-only" }, t("language")), lang, signedIn ? out : null),
  );
  root.replaceChildren(skip, header, main);
  return main;
}

async function route(): Promise<void> {
  const main = shell();
  destroyDetached();
  if (session.claims() === null) {
    signIn(main, () => {
      if (!location.hash.startsWith("#/") || location.hash === "#/") location.hash = "#/accounts";
      else void route();
    });
    return;
  }
  const [path = "", query = ""] = location.hash.replace(/^#/, "").split("?");
  const params = new URLSearchParams(query);
  const parts = path.split("/").filter(Boolean);
  if (parts[0] === "accounts" && parts[1] && /^\d+$/.test(parts[1])) await detail(main, Number(parts[1]), params);
  else if (parts[0] === "compare") await compare(main, params);
  else if (parts[0] === "privacy") await privacy(main);
  else if (parts[0] === "admin") await admin(main);
  else await accounts(main, params);
  main.querySelector<HTMLElement>("h1")?.focus();
}

async function boot(): Promise<void> {
  setLanguage(preferredLanguage(navigator.languages?.length ? navigator.languages : [navigator.language]));
  try {
    const response = await fetch("config.json", { cache: "no-store" });
    api.configure((await response.json()) as api.Config);
  } catch (error) {
    root.replaceChildren(errorBox(error));
    return;
  }
  session.onEnd(() => {
    location.hash = "#/";
    void route();
  });
  window.addEventListener("hashchange", () => {
    if (location.hash.startsWith("#/") || location.hash === "") void route();
  });
  await route();
}

void boot();
