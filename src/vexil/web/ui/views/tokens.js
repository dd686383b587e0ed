// API tokens: list, create (the secret is shown this once) and revoke. Admins only.

import { path } from "../api.js";
import { h } from "../dom.js";
import { clearErrors, showApiError, showError } from "../forms.js";
import { confirmButton } from "./confirm.js";

const ROLES = [
  ["server", "server: reads flag configuration (SDKs that evaluate locally)"],
  ["client", "client: resolved values only (browsers, apps)"],
  ["viewer", "viewer: reads the management API (dashboards, audits)"],
  ["editor", "editor: changes flags and segments (CI, scripts)"],
  ["admin", "admin: everything"],
];

export function mount(main, ctx) {
  main.append(h("div", { class: "page-head" }, h("h1", {}, "Tokens")));
  if (!ctx.isAdmin) {
    main.append(h("p", { class: "notice" }, "Tokens can only be listed and created by an admin (an admin person, or an admin token)."));
    ctx.ready("tokens");
    return {};
  }
  const secretSlot = h("div", { "aria-live": "polite" });
  const list = h("div", {}, h("p", { class: "loading" }, "Loading…"));
  const name = h("input", { id: "new-token-name", autocomplete: "off", spellcheck: "false", placeholder: "checkout-service" });
  const role = h("select", { id: "new-token-role" }, ROLES.map(([value, text]) => h("option", { value }, text)));
  const environment = h(
    "select",
    { id: "new-token-environment" },
    h("option", { value: "" }, "any: the caller names it"),
  );
  ctx.environments?.then((names) => environment.append(...names.map((env) => h("option", { value: env }, env))));
  const form = h(
    "form",
    { class: "card", novalidate: true, onsubmit: onCreate },
    h("h2", {}, "New token"),
    h(
      "div",
      { class: "row" },
      h("div", { class: "field", dataset: { path: "name" } }, h("label", { for: name.id }, "Name"), name),
      h("div", { class: "field", dataset: { path: "role" } }, h("label", { for: role.id }, "Role"), role),
      h(
        "div",
        { class: "field", dataset: { path: "environment" } },
        h("label", { for: environment.id }, "Environment"),
        environment,
      ),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Create token")),
    ),
    h("p", { class: "form-error", role: "alert" }),
  );
  main.append(form, secretSlot, list);
  refresh().then(() => ctx.ready("tokens"));
  return {};

  async function refresh() {
    try {
      const { tokens } = await ctx.api.get("/tokens");
      show(tokens);
    } catch (error) {
      list.replaceChildren(h("p", { class: "notice error", role: "alert" }, `Could not load tokens: ${error.message}`));
    }
  }

  function show(tokens) {
    if (!tokens.length) {
      list.replaceChildren(h("p", { class: "empty" }, "No tokens yet (the admin token from the environment is not listed)."));
      return;
    }
    const rows = tokens.map((token) =>
      h(
        "tr",
        { dataset: { name: token.name } },
        h("th", { scope: "row" }, token.name),
        h("td", { "data-label": "Role" }, token.role),
        h("td", { "data-label": "Environment" }, token.environment ?? h("span", { class: "hint" }, "any")),
        h("td", { "data-label": "Prefix" }, h("code", {}, `${token.prefix}…`)),
        h("td", { "data-label": "Created" }, new Date(token.created_at).toLocaleString()),
        h(
          "td",
          { "data-label": "Status" },
          token.revoked
            ? h("span", { class: "badge" }, "revoked")
            : confirmButton({
                id: `revoke-${token.name}`,
                label: "Revoke…",
                ariaLabel: `Revoke ${token.name}…`,
                question: `Revoke ${token.name}? Whatever uses it stops working at once.`,
                confirmLabel: `Revoke ${token.name}`,
                action: async () => {
                  await ctx.api.del(path("/tokens", token.name));
                  await refresh();
                },
              }),
        ),
      ),
    );
    list.replaceChildren(
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { id: "tokens-table", class: "cards" },
          h("thead", {}, h("tr", {}, ["Name", "Role", "Environment", "Prefix", "Created", ""].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, rows),
        ),
      ),
    );
  }

  async function onCreate(event) {
    event.preventDefault();
    clearErrors(form);
    secretSlot.replaceChildren();
    if (!name.value.trim()) {
      showError(form, "name", "Enter a name.");
      name.focus();
      return;
    }
    try {
      const body = { name: name.value.trim(), role: role.value };
      if (environment.value) body.environment = environment.value;
      const created = await ctx.api.post("/tokens", body);
      name.value = "";
      const secret = h("code", { id: "token-secret" }, created.token);
      const copy = h("button", { type: "button" }, "Copy");
      copy.addEventListener("click", async () => {
        try {
          await navigator.clipboard.writeText(created.token);
          copy.textContent = "Copied";
        } catch {
          copy.textContent = "Select the token and copy it";
        }
      });
      secretSlot.replaceChildren(
        h(
          "div",
          { class: "secret", role: "status" },
          h(
            "strong",
            {},
            `The secret of ${created.name} (${created.role}${created.environment ? `, ${created.environment} only` : ""}), shown this once: `,
          ),
          secret,
          copy,
        ),
      );
      copy.focus();
      await refresh();
    } catch (error) {
      showApiError(form, error.status === 409 ? { path: "name", message: error.message } : error);
    }
  }
}
