// A flag's settings on its page: description and tags (About), the apps it is scoped to (saved at
// once) and its bucketing salt.

import { h } from "../dom.js";
import { section } from "./flag-section.js";

export function aboutSection(draft, page) {
  const description = h("textarea", { id: "flag-description", rows: 2, value: draft.description });
  description.addEventListener("input", () => {
    draft.description = description.value;
    page.changed();
  });
  const tags = h("input", { id: "flag-tags", value: draft.tags, autocomplete: "off", spellcheck: "false" });
  tags.addEventListener("input", () => {
    draft.tags = tags.value;
    page.changed();
  });
  return section(
    "about",
    "About",
    null,
    h("div", { class: "field", dataset: { path: "description" } }, h("label", { for: description.id }, "Description"), description),
    h(
      "div",
      { class: "field", dataset: { path: "tags" } },
      h("label", { for: tags.id }, "Tags"),
      tags,
      h("p", { class: "hint" }, "Comma-separated, e.g. checkout, q3"),
    ),
  );
}

export function appsSection(page) {
  const apps = page.base.apps;
  const input = h("input", { id: "app-name", autocomplete: "off", spellcheck: "false", placeholder: "web" });
  const add = () => page.addApp(input.value.trim());
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      add();
    }
  });
  return section(
    "apps",
    "Apps",
    "Saved at once. No app: the flag applies to every app.",
    apps.length
      ? h(
          "ul",
          { class: "apps-list" },
          apps.map((app) =>
            h(
              "li",
              {},
              h("span", {}, app),
              h(
                "button",
                {
                  type: "button",
                  class: "icon link",
                  id: `app-remove-${app}`,
                  "aria-label": `Remove app ${app}`,
                  onclick: () => page.removeApp(app),
                },
                "✕",
              ),
            ),
          ),
        )
      : h("p", { class: "hint" }, "Every app."),
    h(
      "div",
      { class: "row" },
      h("div", { class: "field", dataset: { path: "app_name" } }, h("label", { for: input.id }, "App name"), input),
      h("div", { class: "actions" }, h("button", { type: "button", id: "app-add", onclick: add }, "Add app")),
    ),
  );
}

export function saltSection(draft, page) {
  const salt = h("input", { id: "flag-salt", value: draft.salt, autocomplete: "off", spellcheck: "false" });
  const warning = h("p", { class: "notice warn", id: "salt-warning", role: "note" });
  const warn = () => {
    const changed = salt.value !== page.base.salt;
    warning.hidden = !changed;
    warning.textContent = changed
      ? "Changing the salt reshuffles users: who is inside a percentage rollout, and which variant each user gets, changes for most of them."
      : "";
  };
  salt.addEventListener("input", () => {
    draft.salt = salt.value;
    warn();
    page.changed();
  });
  warn();
  return section(
    "salt",
    "Bucketing salt",
    "Users are placed in rollouts and variant splits by a hash of the salt and their identifier.",
    h("div", { class: "field", dataset: { path: "salt" } }, h("label", { for: salt.id }, "Salt"), salt),
    warning,
  );
}
