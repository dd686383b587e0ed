// A flag's variants on its page: name, weight and share, payload, which is the default; and the
// variant pickers of the allowlists and rules, kept in step when a variant is renamed.

import { h } from "../dom.js";
import { payload } from "../flagdraft.js";
import { clearErrors, showError } from "../forms.js";
import { section } from "./flag-section.js";

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

/** A <select> of the draft's variants; `current()` reads the value it stands for in the draft. */
export function variantSelect(id, draft, current, label, extra = []) {
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
