// A flag's environments on its page: the table of each environment's enabled and rollout (its own
// or inherited), and each environment's own allowlist and rules (Targeting per environment).

import { h, lockIcon } from "../dom.js";
import { jumpTo, percentInput, section } from "./flag-section.js";
import { allowlistEditor, rulesEditor } from "./flag-targeting.js";

export function environmentsSection(draft, page) {
  const own = draft.enabled ? "on" : "off";
  const enabled = h("input", { type: "checkbox", id: "env-default-enabled", checked: draft.enabled });
  enabled.addEventListener("change", () => {
    draft.enabled = enabled.checked;
    page.rerender();
  });
  const rollout = percentInput("env-default-rollout", draft.rollout, "Default rollout percentage");
  rollout.addEventListener("input", () => {
    draft.rollout = rollout.value;
    page.rerender();
  });
  const rows = [
    h(
      "tr",
      { class: "default" },
      h("th", { scope: "row" }, "Default", h("span", { class: "hint" }, " used where an environment sets nothing")),
      h(
        "td",
        { "data-label": "Enabled", dataset: { path: "enabled" } },
        h("span", { class: "field inline" }, enabled, h("label", { for: enabled.id }, "Enabled")),
      ),
      h("td", { "data-label": "Rollout %", dataset: { path: "rollout_percentage" } }, rollout),
      h("td", {}, h("span", { class: "badge" }, "flag's own")),
      h("td", {}),
    ),
  ];
  for (const [env, override] of Object.entries(draft.environments)) {
    rows.push(environmentRow(env, override, { own, ownRollout: draft.rollout, page }));
  }
  return section(
    "environments",
    "Environments",
    "An environment either sets its own value (override) or inherits the default.",
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "envs" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["Environment", "Enabled", "Rollout %", "Source", ""].map((text) => h("th", { scope: "col" }, text)),
          ),
        ),
        h("tbody", {}, rows),
      ),
    ),
  );
}

function environmentRow(env, override, { own, ownRollout, page }) {
  const id = `env-${env}`;
  const select = h(
    "select",
    { id: `${id}-enabled`, "aria-label": `${env}: enabled`, value: override.enabled },
    h("option", { value: "inherit" }, `Inherit (${own})`),
    h("option", { value: "on" }, "On (override)"),
    h("option", { value: "off" }, "Off (override)"),
  );
  select.addEventListener("change", () => {
    override.enabled = select.value;
    page.rerender();
  });
  const rollout = percentInput(`${id}-rollout`, override.rollout, `${env}: rollout percentage`);
  rollout.placeholder = `inherit (${ownRollout})`;
  rollout.addEventListener("input", () => {
    override.rollout = rollout.value;
    page.rerender();
  });
  const setHere = [];
  if (override.enabled !== "inherit") setHere.push("enabled");
  if (override.rollout.trim() !== "") setHere.push("rollout");
  const extra = [];
  if (override.rules !== null) extra.push(`rules (${override.rules.length})`);
  if (override.allowlist !== null) extra.push(`allowlist (${override.allowlist.length})`);
  const stored = page.base.environments[env] !== undefined;
  const clearButton = stored
    ? h(
        "button",
        { type: "button", class: "danger", id: `${id}-clear`, onclick: () => page.clearOverride(env) },
        "Clear override",
      )
    : null;
  if (clearButton) clearButton.setAttribute("aria-label", `Clear the ${env} override`);
  return h(
    "tr",
    { dataset: { path: `environments.${env}`, env } },
    h("th", { scope: "row" }, env, page.isProtected(env) ? lockIcon("Protected: changes here need approval") : null),
    h("td", { "data-label": "Enabled", dataset: { path: `environments.${env}.enabled` } }, select),
    h("td", { "data-label": "Rollout %", dataset: { path: `environments.${env}.rollout_percentage` } }, rollout),
    h(
      "td",
      { "data-label": "Source", class: "source" },
      setHere.length
        ? h("span", { class: "badge override" }, `override: ${setHere.join(", ")}`)
        : h("span", { class: "badge inherited" }, "inherited"),
      extra.length
        ? h("a", { class: "hint", href: `#target-${env}`, onclick: jumpTo(`target-${env}`) }, ` own ${extra.join(", ")}`)
        : null,
    ),
    h("td", {}, clearButton),
  );
}

/**
 * Each environment's own targeting: its allowlist and its rules, either inherited from the flag's
 * (shown as such, with what is inherited) or its own, edited with the same editors as the flag's.
 * "Override here" starts from a copy of the flag's; "Inherit again" drops the environment's own.
 */
export function environmentTargetingSection(draft, page) {
  const cards = Object.entries(draft.environments).map(([env, override]) => targetingCard(env, override, draft, page));
  return section(
    "targeting",
    "Targeting per environment",
    "An environment inherits the flag's allowlist and rules until you override them there.",
    h("div", { class: "env-targets" }, cards),
  );
}

function targetingCard(env, override, draft, page) {
  const base = `env-${env}`;
  const where = `${env}: `;
  const part = (key, title, inheritedText, editor) => {
    const own = override[key] !== null;
    const partId = `${base}-${key}`;
    const toggle = h(
      "button",
      { type: "button", id: `${partId}-${own ? "inherit" : "override"}`, class: own ? "link" : "" },
      own ? "Inherit again" : "Override here",
    );
    toggle.setAttribute("aria-label", `${own ? "Inherit the flag's" : "Override the"} ${title.toLowerCase()} in ${env}`);
    toggle.addEventListener("click", () => {
      override[key] = own ? null : copyOf(key, draft);
      page.rerender(`${partId}-${own ? "override" : "inherit"}`);
    });
    return h(
      "div",
      { class: `env-part ${own ? "own" : "inherits"}`, dataset: { path: `environments.${env}.${key}`, part: key } },
      h(
        "div",
        { class: "env-part-head" },
        h("h4", {}, title),
        own
          ? h("span", { class: "badge override" }, `${env}'s own`)
          : h("span", { class: "badge inherited" }, "inherits"),
        toggle,
      ),
      own ? editor() : h("p", { class: "hint inherited-text" }, inheritedText),
    );
  };
  const allowCount = draft.allowlist.length;
  const ruleCount = draft.rules.length;
  return h(
    "div",
    { class: "env-target", id: `target-${env}`, tabindex: "-1", dataset: { target: env } },
    h("h3", {}, env),
    part(
      "allowlist",
      "Allowlist",
      `The flag's allowlist: ${allowCount ? `${allowCount} identifier${allowCount === 1 ? "" : "s"}` : "nobody"}.`,
      () => allowlistEditor(override.allowlist, draft, page, { id: `${base}-allow`, path: `environments.${env}.allowlist`, where }),
    ),
    part("rules", "Rules", `The flag's rules: ${ruleCount ? `${ruleCount} rule${ruleCount === 1 ? "" : "s"}` : "none"}.`, () =>
      rulesEditor(override.rules, draft, page, { id: `${base}-rule`, path: `environments.${env}.rules`, where }),
    ),
  );
}

/** A deep copy of the flag's own allowlist or rules, where an environment starts its own. */
function copyOf(key, draft) {
  return JSON.parse(JSON.stringify(draft[key]));
}
