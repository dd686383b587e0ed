// A flag's targeting on its page: its allowlist and its rules, and their editors, which an
// environment's own allowlist and rules use too (flag-environments.js).

import { conditionsEditor, newCondition } from "../conditions.js";
import { h } from "../dom.js";
import { percentInput, section } from "./flag-section.js";
import { variantSelect } from "./flag-variants.js";

export function allowlistSection(draft, page) {
  return section(
    "allowlist",
    "Allowlist",
    "These identifiers get their variant whatever the rules and rollout say.",
    ...allowlistEditor(draft.allowlist, draft, page, { id: "allow", path: "allowlist" }),
  );
}

/** The rows of an allowlist (the flag's or an environment's) and its "Add identifier" button. */
export function allowlistEditor(list, draft, page, { id: prefix, path, where = "" }) {
  const rows = list.map((row, index) => {
    const id = `${prefix}-${index}`;
    const what = `${where}Allowlist entry ${index + 1}`;
    const identifier = h("input", {
      id: `${id}-identifier`,
      value: row.identifier,
      autocomplete: "off",
      spellcheck: "false",
      "aria-label": `${what}: identifier`,
      placeholder: "user-42",
    });
    identifier.addEventListener("input", () => {
      row.identifier = identifier.value;
      page.changed();
    });
    const variant = variantSelect(`${id}-variant`, draft, () => row.variant, `${what}: variant`);
    variant.addEventListener("change", () => {
      row.variant = variant.value;
      page.changed();
    });
    const remove = h("button", { type: "button", class: "icon danger", "aria-label": `Remove ${what}` }, "Remove");
    remove.addEventListener("click", () => {
      list.splice(index, 1);
      page.rerender(`${prefix}-add`);
    });
    return h(
      "div",
      { class: "item compact", dataset: { path: `${path}.${index}` } },
      identifier,
      h("span", { "aria-hidden": "true" }, "→"),
      variant,
      remove,
    );
  });
  const add = h("button", { type: "button", id: `${prefix}-add` }, "Add identifier");
  add.addEventListener("click", () => {
    const served = draft.variants.find((v) => v.name !== draft.default_variant) || draft.variants[0];
    list.push({ identifier: "", variant: served ? served.name : "" });
    page.rerender(`${prefix}-${list.length - 1}-identifier`);
  });
  return [
    h("div", { class: "list-rows", dataset: { path } }, rows.length ? rows : h("p", { class: "hint" }, "Nobody.")),
    add,
  ];
}

export function rulesSection(draft, page) {
  return section(
    "rules",
    "Rules",
    "Tried in order: the first rule whose conditions all match, and whose rollout includes the user, decides.",
    ...rulesEditor(draft.rules, draft, page, { id: "rule", path: "rules" }),
  );
}

/** The rules of the flag or of an environment, and their "Add rule" button. */
export function rulesEditor(rules, draft, page, scope) {
  const boxes = rules.map((rule, index) => ruleBox(rule, index, rules, draft, page, scope));
  const add = h("button", { type: "button", id: `${scope.id}-add` }, "Add rule");
  add.addEventListener("click", () => {
    rules.push({ rollout: "100", serve: "", conditions: [newCondition()] });
    page.rerender(`${scope.id}-${rules.length - 1}-cond-0-field`);
  });
  return [boxes.length ? boxes : h("p", { class: "hint" }, "No rules: the rollout decides."), add];
}

function ruleBox(rule, index, rules, draft, page, { id: prefix, path, where = "" }) {
  const id = `${prefix}-${index}`;
  const count = rules.length;
  const move = (to, focus) => {
    const [moved] = rules.splice(index, 1);
    rules.splice(to, 0, moved);
    page.rerender(`${prefix}-${to}-${focus}`);
  };
  const up = h("button", { type: "button", class: "icon", id: `${id}-up`, "aria-label": `Move ${where}rule ${index + 1} up` }, "↑");
  up.disabled = index === 0;
  up.addEventListener("click", () => move(index - 1, index - 1 === 0 ? "down" : "up"));
  const down = h(
    "button",
    { type: "button", class: "icon", id: `${id}-down`, "aria-label": `Move ${where}rule ${index + 1} down` },
    "↓",
  );
  down.disabled = index === count - 1;
  down.addEventListener("click", () => move(index + 1, index + 1 === count - 1 ? "up" : "down"));
  const remove = h(
    "button",
    { type: "button", class: "danger", id: `${id}-remove`, "aria-label": `Remove ${where}rule ${index + 1}` },
    "Remove",
  );
  remove.addEventListener("click", () => {
    rules.splice(index, 1);
    page.rerender(`${prefix}-add`);
  });
  const rollout = percentInput(`${id}-rollout`, rule.rollout, `${where}Rule ${index + 1} rollout percentage`);
  rollout.addEventListener("input", () => {
    rule.rollout = rollout.value;
    page.changed();
  });
  const serve = variantSelect(`${id}-serve`, draft, () => rule.serve, `${where}Rule ${index + 1} serves`, [
    ["", "the weighted split"],
  ]);
  serve.addEventListener("change", () => {
    rule.serve = serve.value;
    page.changed();
  });
  return h(
    "div",
    { class: "rule", dataset: { path: `${path}.${index}` }, role: "group", "aria-labelledby": `${id}-title` },
    h("div", { class: "rule-head" }, h("h3", { id: `${id}-title` }, `${where}Rule ${index + 1}`), up, down, remove),
    conditionsEditor(rule.conditions, {
      path: `${path}.${index}.conditions`,
      idPrefix: `${id}-cond`,
      onChange: page.changed,
      segments: page.segments,
    }),
    h(
      "div",
      { class: "row" },
      h(
        "div",
        { class: "field", dataset: { path: `${path}.${index}.rollout_percentage` } },
        h("label", { for: rollout.id }, "Rollout %"),
        rollout,
      ),
      h("div", { class: "field", dataset: { path: `${path}.${index}.serve` } }, h("label", { for: serve.id }, "Serve"), serve),
    ),
  );
}
