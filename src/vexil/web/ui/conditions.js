// Conditions (docs/spec.md §1): the operators, how a value is typed in and read back, and the editor
// shared by rules and segments. A draft condition keeps the value as typed (`valueText`).

import { h } from "./dom.js";

export const OPERATORS = [
  ["eq", "equals"],
  ["neq", "does not equal"],
  ["in", "is one of (list)"],
  ["not_in", "is not one of (list)"],
  ["starts_with", "starts with"],
  ["ends_with", "ends with"],
  ["contains", "contains"],
  ["not_contains", "does not contain"],
  ["matches", "matches regex (RE2)"],
  ["gt", "> (number)"],
  ["gte", "≥ (number)"],
  ["lt", "< (number)"],
  ["lte", "≤ (number)"],
  ["semver_eq", "= (SemVer)"],
  ["semver_gt", "> (SemVer)"],
  ["semver_lt", "< (SemVer)"],
  ["before", "before (ISO 8601)"],
  ["after", "after (ISO 8601)"],
  ["in_cidr", "in CIDR range"],
  ["exists", "exists"],
  ["not_exists", "does not exist"],
  ["in_segment", "in segment"],
  ["not_in_segment", "not in segment"],
];

const JSON_VALUE = new Set(["eq", "neq", "gt", "gte", "lt", "lte"]);
const LIST_VALUE = new Set(["in", "not_in"]);
export const NO_VALUE = new Set(["exists", "not_exists"]);
export const SEGMENT = new Set(["in_segment", "not_in_segment"]);

export function newCondition() {
  return { field: "", operator: "eq", valueText: "", negate: false, case_insensitive: false };
}

/** A stored condition as the editor holds it. */
export function conditionDraft(condition) {
  return {
    field: condition.field || "",
    operator: condition.operator,
    valueText: formatValue(condition.operator, condition.value),
    negate: Boolean(condition.negate),
    case_insensitive: Boolean(condition.case_insensitive),
  };
}

/** The condition to store, or `{error}` when the value cannot be read. */
export function conditionFromDraft(draft) {
  const parsed = parseValue(draft.operator, draft.valueText);
  if (parsed.error) return { error: parsed.error };
  return {
    condition: {
      field: SEGMENT.has(draft.operator) ? null : draft.field.trim(),
      operator: draft.operator,
      value: parsed.value,
      negate: draft.negate,
      case_insensitive: draft.case_insensitive,
    },
  };
}

/**
 * What was typed, as the operator's value: lists are JSON (`["a", 1]`) or comma-separated; `eq`,
 * `neq` and the number operators read JSON (`42`, `true`, `"42"`), anything else as a string; the
 * other operators take the text as it is.
 */
export function parseValue(operator, text) {
  if (NO_VALUE.has(operator)) return { value: null };
  const trimmed = text.trim();
  if (LIST_VALUE.has(operator) || (operator === "in_cidr" && trimmed.startsWith("["))) {
    if (trimmed.startsWith("[")) {
      try {
        const value = JSON.parse(trimmed);
        if (Array.isArray(value)) return { value };
      } catch {
        // reported below
      }
      return { error: 'Not a JSON list: write ["a", "b"] or a, b' };
    }
    if (operator === "in_cidr") return { value: trimmed };
    return { value: trimmed === "" ? [] : trimmed.split(",").map((part) => part.trim()) };
  }
  if (JSON_VALUE.has(operator)) {
    try {
      return { value: JSON.parse(trimmed) };
    } catch {
      return { value: text };
    }
  }
  return { value: text };
}

export function formatValue(operator, value) {
  if (NO_VALUE.has(operator) || value === null || value === undefined) return "";
  if (LIST_VALUE.has(operator) && Array.isArray(value)) {
    const plain = value.join(", ");
    if (same(parseValue(operator, plain).value, value)) return plain;
    return JSON.stringify(value);
  }
  if (typeof value === "string") {
    if (same(parseValue(operator, value).value, value)) return value;
  }
  return JSON.stringify(value);
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

const VALUE_HINTS = {
  in: 'a, b, c  or  ["a", 1]',
  not_in: 'a, b, c  or  ["a", 1]',
  eq: 'text, 42, true or "42"',
  neq: 'text, 42, true or "42"',
  gt: "42",
  gte: "42",
  lt: "42",
  lte: "42",
  semver_eq: "1.2.3",
  semver_gt: "1.2.3",
  semver_lt: "1.2.3",
  before: "2026-12-31T00:00:00Z",
  after: "2026-12-31T00:00:00Z",
  in_cidr: "10.0.0.0/8",
  matches: "^user-\\d+$",
  in_segment: "segment name",
  not_in_segment: "segment name",
};

/**
 * The editor of a list of draft conditions. `path` prefixes the error paths ("rules.0.conditions");
 * `onChange()` after every edit; `segments` names the known segments (suggested for in_segment).
 */
export function conditionsEditor(conditions, { path, idPrefix, onChange, segments = [] }) {
  const list = h("div", { class: "conditions" });
  const datalistId = `${idPrefix}-segments`;
  const datalist = h("datalist", { id: datalistId }, segments.map((name) => h("option", { value: name })));
  const add = h(
    "button",
    { type: "button", class: "add-condition" },
    "Add condition",
  );
  add.addEventListener("click", () => {
    conditions.push(newCondition());
    render();
    onChange();
    const fields = list.querySelectorAll(".cond-field");
    if (fields.length) fields[fields.length - 1].focus();
  });
  const root = h("div", { class: "conditions-editor" }, list, datalist, add);
  render();
  return root;

  function render() {
    list.replaceChildren(
      ...(conditions.length
        ? conditions.map((condition, index) => row(condition, index))
        : [h("p", { class: "hint" }, "No conditions: matches everyone.")]),
    );
  }

  function row(condition, index) {
    const id = `${idPrefix}-${index}`;
    const field = h("input", {
      id: `${id}-field`,
      class: "cond-field",
      value: condition.field,
      autocomplete: "off",
      spellcheck: "false",
      placeholder: "attributes.plan",
      "aria-label": `Condition ${index + 1} field`,
    });
    const operator = h(
      "select",
      { id: `${id}-operator`, "aria-label": `Condition ${index + 1} operator`, value: condition.operator },
      OPERATORS.map(([op, text]) => h("option", { value: op }, `${op} — ${text}`)),
    );
    const value = h("input", {
      id: `${id}-value`,
      class: "cond-value",
      value: condition.valueText,
      autocomplete: "off",
      spellcheck: "false",
      "aria-label": `Condition ${index + 1} value`,
    });
    const negate = h("input", { type: "checkbox", id: `${id}-negate`, checked: condition.negate });
    const fold = h("input", { type: "checkbox", id: `${id}-ci`, checked: condition.case_insensitive });
    const remove = h(
      "button",
      { type: "button", class: "icon danger", "aria-label": `Remove condition ${index + 1}`, title: "Remove" },
      "✕",
    );

    function sync() {
      const op = operator.value;
      field.disabled = SEGMENT.has(op);
      value.disabled = NO_VALUE.has(op);
      value.placeholder = VALUE_HINTS[op] || "value";
      if (SEGMENT.has(op)) value.setAttribute("list", datalistId);
      else value.removeAttribute("list");
    }
    sync();

    field.addEventListener("input", () => {
      condition.field = field.value;
      onChange();
    });
    operator.addEventListener("change", () => {
      condition.operator = operator.value;
      sync();
      onChange();
    });
    value.addEventListener("input", () => {
      condition.valueText = value.value;
      onChange();
    });
    negate.addEventListener("change", () => {
      condition.negate = negate.checked;
      onChange();
    });
    fold.addEventListener("change", () => {
      condition.case_insensitive = fold.checked;
      onChange();
    });
    remove.addEventListener("click", () => {
      conditions.splice(index, 1);
      render();
      onChange();
      add.focus();
    });

    return h(
      "div",
      { class: "condition", dataset: { path: `${path}.${index}` } },
      field,
      operator,
      h("span", { class: "cond-value-wrap", dataset: { path: `${path}.${index}.value` } }, value),
      h("span", { class: "field inline" }, negate, h("label", { for: negate.id }, "Negate")),
      h("span", { class: "field inline" }, fold, h("label", { for: fold.id }, "Ignore case")),
      remove,
    );
  }
}
