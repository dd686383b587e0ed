// The sticky head of a flag's page (docs/flag-page.md): the flag, a chip per environment with its
// saved state, and links to the parts of the page in the order they come.

import { h, lockIcon } from "../dom.js";
import { stateOf } from "../store.js";
import { jumpTo } from "./flag-section.js";

/** The sticky head: the flag, its saved state in each environment, and links to the parts of the page. */
export function flagSummary(ctx, name, base, environments) {
  const chips = environments.map((env) => {
    const state = stateOf(base, env);
    return h(
      "li",
      {
        class: `chip ${state.key}`,
        dataset: { chip: env, state: state.key, protected: ctx.isProtected(env) ? "" : undefined },
        title: ctx.isProtected(env) ? `${state.detail}; protected: changes here need approval` : state.detail,
      },
      h("span", { class: "chip-env" }, ctx.isProtected(env) ? lockIcon("Protected: changes here need approval") : null, env),
      h("span", { class: "chip-state" }, state.label),
    );
  });
  const parts = [
    ["environments", "Targeting"],
    ["variants", "Variants"],
    ["about", "Settings"],
    ["lifecycle", "Lifecycle"],
    ["usage", "Usage"],
    ["schedule", "Schedule"],
    ["playground", "Playground"],
    ["history", "History"],
  ];
  return h(
    "div",
    { class: "flag-summary" },
    h(
      "div",
      { class: "summary-top" },
      h("h1", { class: "flag-name" }, name),
      base.archived ? h("span", { class: "badge archived", id: "archived-badge" }, "Archived") : null,
      base.archived ? null : h("ul", { class: "chips", "aria-label": "State in each environment (saved)" }, chips),
    ),
    h(
      "nav",
      { class: "flag-nav", "aria-label": "Parts of this flag" },
      parts.map(([id, text]) => h("a", { href: `#${id}`, dataset: { part: id }, onclick: jumpTo(id) }, text)),
      h("span", { class: "meta" }, `version ${base.version} · updated ${new Date(base.updated_at).toLocaleString()}`),
    ),
  );
}
