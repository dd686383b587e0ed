// The sections of a flag's page. Each builds its part of the form from the draft; edits write to
// the draft and call `page.changed()`; adding, removing or moving rows calls `page.rerender(focusId)`.

import { conditionsEditor, newCondition } from "../conditions.js";
import { h, lockIcon } from "../dom.js";
import { payload } from "../flagdraft.js";
import { clearErrors, showError } from "../forms.js";
import { KINDS, ago, referencesText, signalList } from "../lifecycle.js";

function section(id, title, hint, ...children) {
  return h(
    "section",
    { class: "card", "aria-labelledby": `${id}-title`, id, tabindex: "-1" },
    h("div", { class: "section-head" }, h("h2", { id: `${id}-title` }, title), hint ? h("p", { class: "hint" }, hint) : null),
    ...children,
  );
}

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

function percentInput(id, value, label) {
  return h("input", {
    id,
    type: "number",
    min: 0,
    max: 100,
    step: "0.01",
    inputmode: "decimal",
    value,
    "aria-label": label,
  });
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

export function variantsSection(draft, page) {
  const total = draft.variants.reduce((sum, v) => sum + (Number(v.weight) > 0 ? Number(v.weight) : 0), 0);
  const rows = draft.variants.map((variant, index) => variantRow(variant, index, total, draft, page));
  const add = h("button", { type: "button", id: "variant-add" }, "Add variant");
  add.addEventListener("click", () => {
    draft.variants.push({ name: `variant_${draft.variants.length + 1}`, weight: "1", payload: "" });
    page.rerender(`variant-${draft.variants.length - 1}-name`);
  });
  return section(
    "variants",
    "Variants",
    "Shares are weight ÷ total; the default is served when the flag is off for a user.",
    h("div", { class: "list-rows" }, rows),
    h("div", { dataset: { path: "default_variant" } }),
    add,
  );
}

function variantRow(variant, index, total, draft, page) {
  const id = `variant-${index}`;
  const name = h("input", { id: `${id}-name`, value: variant.name, autocomplete: "off", spellcheck: "false" });
  name.addEventListener("input", () => {
    renameVariant(draft, variant.name, name.value.trim());
    variant.name = name.value.trim();
    refreshVariantSelects();
    page.changed();
  });
  const weight = h("input", { id: `${id}-weight`, class: "short", type: "number", min: 0, step: 1, value: variant.weight });
  weight.addEventListener("input", () => {
    variant.weight = weight.value;
    share.textContent = shareText(weight.value, draft);
    page.changed();
  });
  const share = h("span", { class: "hint share" }, shareText(variant.weight, draft, total));
  const text = h("textarea", {
    id: `${id}-payload`,
    class: "json",
    rows: variant.payload.includes("\n") ? 3 : 1,
    spellcheck: "false",
    value: variant.payload,
    placeholder: "none",
  });
  const payloadField = h(
    "div",
    { class: "field grow", dataset: { path: `variants.${index}.payload` } },
    h("label", { for: text.id }, "Payload (JSON)"),
    text,
  );
  text.addEventListener("input", () => {
    variant.payload = text.value;
    // Checked as typed: the error sits under the field until the JSON parses.
    clearErrors(payloadField);
    payload(text.value, `variants.${index}.payload`, (at, message) => showError(payloadField, at, message));
    page.changed();
  });
  const isDefault = h("input", {
    type: "radio",
    name: "default-variant",
    id: `${id}-default`,
    checked: draft.default_variant === variant.name,
  });
  isDefault.addEventListener("change", () => {
    draft.default_variant = variant.name;
    page.changed();
  });
  const remove = h(
    "button",
    { type: "button", class: "icon danger", id: `${id}-remove`, "aria-label": `Remove variant ${variant.name}` },
    "Remove",
  );
  remove.disabled = draft.variants.length <= 1;
  remove.addEventListener("click", () => {
    draft.variants.splice(index, 1);
    if (draft.default_variant === variant.name && draft.variants.length) {
      draft.default_variant = draft.variants[0].name;
    }
    page.rerender("variant-add");
  });
  return h(
    "div",
    { class: "item variant", dataset: { path: `variants.${index}` }, role: "group", "aria-label": `Variant ${index + 1}` },
    h("div", { class: "field", dataset: { path: `variants.${index}.name` } }, h("label", { for: name.id }, "Name"), name),
    h(
      "div",
      { class: "field", dataset: { path: `variants.${index}.weight` } },
      h("label", { for: weight.id }, "Weight"),
      weight,
      share,
    ),
    payloadField,
    h("div", { class: "field inline" }, isDefault, h("label", { for: isDefault.id }, "Default")),
    remove,
  );
}

function shareText(weight, draft, known) {
  const total =
    known ?? draft.variants.reduce((sum, v) => sum + (Number(v.weight) > 0 ? Number(v.weight) : 0), 0);
  const value = Number(weight) > 0 ? Number(weight) : 0;
  return total ? `${Math.round((value / total) * 1000) / 10}%` : "0%";
}

function renameVariant(draft, from, to) {
  if (!from || from === to) return;
  if (draft.default_variant === from) draft.default_variant = to;
  for (const row of draft.allowlist) if (row.variant === from) row.variant = to;
  for (const rule of draft.rules) if (rule.serve === from) rule.serve = to;
  for (const env of Object.values(draft.environments)) {
    for (const row of env.allowlist || []) if (row.variant === from) row.variant = to;
    for (const rule of env.rules || []) if (rule.serve === from) rule.serve = to;
  }
}

export function allowlistSection(draft, page) {
  return section(
    "allowlist",
    "Allowlist",
    "These identifiers get their variant whatever the rules and rollout say.",
    ...allowlistEditor(draft.allowlist, draft, page, { id: "allow", path: "allowlist" }),
  );
}

/** The rows of an allowlist (the flag's or an environment's) and its "Add identifier" button. */
function allowlistEditor(list, draft, page, { id: prefix, path, where = "" }) {
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

/** A <select> of the draft's variants; `current()` reads the value it stands for in the draft. */
function variantSelect(id, draft, current, label, extra = []) {
  const select = h("select", { id, class: "variant-select", "aria-label": label });
  select.refresh = () => {
    const value = current();
    const names = draft.variants.map((v) => v.name);
    const options = [...extra, ...names.map((name) => [name, name])];
    if (value && !names.includes(value)) options.push([value, `${value} (unknown variant)`]);
    select.replaceChildren(...options.map(([v, text]) => h("option", { value: v }, text)));
    select.value = value;
  };
  select.refresh();
  return select;
}

/** After a variant is renamed, the selects that list variants show the new name. */
function refreshVariantSelects() {
  for (const select of document.querySelectorAll("select.variant-select")) select.refresh();
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
function rulesEditor(rules, draft, page, scope) {
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

/** A link to a part of the page: scrolls to it and moves the focus there (the hash is the route). */
export function jumpTo(id) {
  return (event) => {
    event.preventDefault();
    const target = document.getElementById(id);
    if (!target) return;
    target.scrollIntoView({ block: "start" });
    target.focus({ preventScroll: true });
  };
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

export function prerequisitesSection(draft, page) {
  const rows = draft.prerequisites.map((prereq, index) => prerequisiteRow(prereq, index, draft, page));
  const add = h("button", { type: "button", id: "prereq-add" }, "Add prerequisite");
  add.addEventListener("click", () => {
    draft.prerequisites.push({ flag: "", active: true, variants: "" });
    page.rerender(`prereq-${draft.prerequisites.length - 1}-flag`);
  });
  return section(
    "prerequisites",
    "Prerequisites",
    "Flags that must be in a given state first, for the same user; when one is not, the default variant is served.",
    h("div", { class: "list-rows", dataset: { path: "prerequisites" } }, rows.length ? rows : h("p", { class: "hint" }, "None.")),
    add,
  );
}

function prerequisiteRow(prereq, index, draft, page) {
  const id = `prereq-${index}`;
  const others = page.flagNames().filter((n) => n !== page.base.name);
  const options = [["", "Pick a flag…"], ...others.map((n) => [n, n])];
  if (prereq.flag && !others.includes(prereq.flag)) options.push([prereq.flag, `${prereq.flag} (not found)`]);
  const flag = h(
    "select",
    { id: `${id}-flag`, "aria-label": `Prerequisite ${index + 1}: flag` },
    options.map(([value, text]) => h("option", { value }, text)),
  );
  flag.value = prereq.flag;
  flag.addEventListener("change", () => {
    prereq.flag = flag.value;
    page.changed();
  });
  const active = h(
    "select",
    { id: `${id}-active`, "aria-label": `Prerequisite ${index + 1}: required state` },
    h("option", { value: "true" }, "is active"),
    h("option", { value: "false" }, "is not active"),
  );
  active.value = String(prereq.active);
  active.addEventListener("change", () => {
    prereq.active = active.value === "true";
    page.changed();
  });
  const variants = h("input", {
    id: `${id}-variants`,
    value: prereq.variants,
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "any variant",
    "aria-label": `Prerequisite ${index + 1}: serving one of the variants (comma-separated)`,
  });
  variants.addEventListener("input", () => {
    prereq.variants = variants.value;
    page.changed();
  });
  const remove = h(
    "button",
    { type: "button", class: "icon danger", id: `${id}-remove`, "aria-label": `Remove prerequisite ${index + 1}` },
    "Remove",
  );
  remove.addEventListener("click", () => {
    draft.prerequisites.splice(index, 1);
    page.rerender("prereq-add");
  });
  return h(
    "div",
    { class: "item compact prereq", dataset: { path: `prerequisites.${index}` } },
    h("span", { dataset: { path: `prerequisites.${index}.flag` } }, flag),
    active,
    h("span", { class: "hint" }, "serving"),
    variants,
    remove,
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

/**
 * Kind and owner (saved with the page), and the stale signals with their evidence
 * (GET /flags/{name}/stale, `page.stale`; null while loading), with "Mark as stale" or "Not stale"
 * (saved at once, like apps).
 */
export function lifecycleSection(draft, page) {
  const kind = h(
    "select",
    { id: "flag-kind", value: draft.kind },
    KINDS.map(([value, label, lifetime]) => h("option", { value }, `${label} (${lifetime})`)),
  );
  kind.addEventListener("change", () => {
    draft.kind = kind.value;
    page.changed();
  });
  const owner = h("input", { id: "flag-owner", value: draft.owner, autocomplete: "off", placeholder: "team or person" });
  owner.addEventListener("input", () => {
    draft.owner = owner.value;
    page.changed();
  });
  const summary = page.stale;
  const marked = page.base.stale;
  const mark = h(
    "button",
    { type: "button", id: marked ? "flag-not-stale" : "flag-mark-stale", onclick: () => page.markStale(!marked) },
    marked ? "Not stale" : "Mark as stale",
  );
  let verdict;
  if (summary === null) verdict = h("p", { class: "hint" }, "Checking the stale signals…");
  else if (summary.error) verdict = h("p", { class: "notice error" }, `Could not read the stale signals: ${summary.error}`);
  else if (!summary.signals.length) verdict = h("p", { class: "verdict fresh", id: "stale-verdict" }, "No stale signal: the flag looks in use.");
  else
    verdict = h(
      "div",
      { class: `verdict ${summary.ready_to_remove ? "ready" : "stale"}`, id: "stale-verdict" },
      h(
        "p",
        {},
        h("strong", {}, summary.ready_to_remove ? "Ready to remove" : "Potentially stale"),
        ` · ${referencesText(summary.references)}`,
      ),
      signalList(summary.signals, { id: "stale-signals" }),
    );
  return section(
    "lifecycle",
    "Lifecycle",
    "The kind sets how long the flag is expected to live; the signals say why it may be stale.",
    h(
      "div",
      { class: "row" },
      h(
        "div",
        { class: "field", dataset: { path: "kind" } },
        h("label", { for: kind.id }, "Kind"),
        kind,
        h("p", { class: "hint", id: "flag-age" }, `Created ${ago(page.base.created_at)}`),
      ),
      h("div", { class: "field grow", dataset: { path: "owner" } }, h("label", { for: owner.id }, "Owner"), owner),
    ),
    h("div", { class: "stale-box" }, verdict, h("div", { class: "actions" }, mark)),
  );
}
