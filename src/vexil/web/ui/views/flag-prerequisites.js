// A flag's prerequisites on its page: the other flags that must be in a given state first.

import { h } from "../dom.js";
import { section } from "./flag-section.js";

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
