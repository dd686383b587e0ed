// Conditions (docs/spec.md §1): the operators, how a value is typed in and read back, and the editor
// shared by rules and segments. A draft condition keeps the value as typed (`valueText`).
//
// The operators are the server's (`GET /operators`, the engine's own list): `loadOperators(api)`
// fetches them once, before any view edits a condition. For each the server says what value it
// takes (`none`, `single`, `list`, `segment`) and what it reads a value as (`scalar`, `number`,
// `semver`, `instant`, `cidr`, `regex`, `text`); everything below goes by that, never by a name.

import { h } from "./dom.js";

let known = new Map();
let loading = null;

/** Fetch the operators (once; a failed fetch is tried again on the next call). */
export function loadOperators(api) {
  if (!loading) {
    loading = api.get("/operators").then(
      (body) => {
        known = new Map(body.operators.map((spec) => [spec.name, spec]));
        return body.operators;
      },
      (error) => {
        loading = null;
        throw error;
      },
    );
  }
  return loading;
}

/** The operators, in the server's order (empty until `loadOperators` resolved). */
export function operators() {
  return [...known.values()];
}

// An operator the server does not know (an old stored condition): its value is edited as text.
const UNKNOWN = { value: "single", reads: "text", or_list: false, description: "unknown operator" };

function spec(operator) {
  return known.get(operator) || UNKNOWN;
}

export function takesNoValue(operator) {
  return spec(operator).value === "none";
}

export function takesSegment(operator) {
  return spec(operator).value === "segment";
}

function takesList(operator) {
  return spec(operator).value === "list";
}

// Single values read as JSON when they parse (`42`, `true`, `"42"`), else as the text typed.
const READS_JSON = new Set(["scalar", "number"]);

export function newCondition() {
  const [first] = operators();
  return { field: "", operator: first ? first.name : "", valueText: "", negate: false, case_insensitive: false };
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
      field: takesSegment(draft.operator) ? null : draft.field.trim(),
      operator: draft.operator,
      value: parsed.value,
      negate: draft.negate,
      case_insensitive: draft.case_insensitive,
    },
  };
}

/**
 * What was typed, as the operator's value: lists are JSON (`["a", 1]`) or comma-separated (an
 * operator that also takes a list, such as in_cidr, reads one when it starts with `[`); values read
 * as any JSON or as a number are JSON when they parse (`42`, `true`, `"42"`), else the string; the
 * other operators take the text as it is.
 */
export function parseValue(operator, text) {
  if (takesNoValue(operator)) return { value: null };
  const trimmed = text.trim();
  const { or_list: orList, reads } = spec(operator);
  if (takesList(operator) || (orList && trimmed.startsWith("["))) {
    if (trimmed.startsWith("[")) {
      try {
        const value = JSON.parse(trimmed);
        if (Array.isArray(value)) return { value };
      } catch {
        // reported below
      }
      return { error: 'Not a JSON list: write ["a", "b"] or a, b' };
    }
    if (orList) return { value: trimmed };
    return { value: trimmed === "" ? [] : trimmed.split(",").map((part) => part.trim()) };
  }
  if (READS_JSON.has(reads)) {
    try {
      return { value: JSON.parse(trimmed) };
    } catch {
      return { value: text };
    }
  }
  return { value: text };
}

export function formatValue(operator, value) {
  if (takesNoValue(operator) || value === null || value === undefined) return "";
  if (takesList(operator) && Array.isArray(value)) {
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

// The placeholder of a value: by what the operator takes, then by what it reads.
const TAKES_HINTS = { list: 'a, b, c  or  ["a", 1]', segment: "segment name" };
const READS_HINTS = {
  scalar: 'text, 42, true or "42"',
  number: "42",
  semver: "1.2.3",
  instant: "2026-12-31T00:00:00Z",
  cidr: "10.0.0.0/8",
  regex: "^user-\\d+$",
};

export function valueHint(operator) {
  const { value, reads } = spec(operator);
  return TAKES_HINTS[value] || READS_HINTS[reads] || "value";
}

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
      operators().map((op) => h("option", { value: op.name }, `${op.name} — ${op.description}`)),
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
      field.disabled = takesSegment(op);
      value.disabled = takesNoValue(op);
      value.placeholder = valueHint(op);
      if (takesSegment(op)) value.setAttribute("list", datalistId);
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
