// Tiny DOM helpers: no framework, no build step.

/** `h("button", {class: "x", onclick: fn}, "Save")` creates an element with properties and children. */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  let value;
  for (const [key, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (key === "class") el.className = v;
    else if (key === "text") el.textContent = v;
    else if (key === "value") value = v;
    else if (key === "checked" || key === "selected") el[key] = true;
    else if (key === "dataset") Object.assign(el.dataset, v);
    else if (key.startsWith("on") && typeof v === "function") el.addEventListener(key.slice(2), v);
    else el.setAttribute(key, v === true ? "" : String(v));
  }
  append(el, children);
  if (value !== undefined) el.value = value; // after the children: a <select>'s options must exist first
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** HTML-escape for the few places that build markup as strings (the 500-row flags table). */
export function esc(value) {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** A labelled field: `<div class="field" data-path=…><label>…</label>control</div>`. */
export function field(label, control, { path, hint, cls } = {}) {
  if (!control.id) control.id = uid(path || label);
  return h(
    "div",
    { class: `field ${cls || ""}`.trim(), dataset: path ? { path } : undefined },
    h("label", { for: control.id }, label),
    control,
    hint ? h("p", { class: "hint" }, hint) : null,
  );
}

let counter = 0;
export function uid(base) {
  counter += 1;
  return `${String(base).replace(/[^a-zA-Z0-9_-]+/g, "-")}-${counter}`;
}

/** JSON for display: compact for short values, indented for long ones. */
export function showJson(value) {
  const compact = JSON.stringify(value);
  if (compact === undefined) return "";
  return compact.length <= 60 ? compact : JSON.stringify(value, null, 2);
}

/** Keep keyboard focus across a re-render: refocus the element with the same id, if it still exists. */
export function keepFocus(render) {
  const active = document.activeElement;
  const id = active && active.id;
  const selection = active && "selectionStart" in active ? [active.selectionStart, active.selectionEnd] : null;
  render();
  if (!id) return;
  const again = document.getElementById(id);
  if (again && again !== document.activeElement) {
    again.focus();
    if (selection && typeof again.setSelectionRange === "function") {
      try {
        again.setSelectionRange(...selection);
      } catch {
        // inputs such as type=number have no selection
      }
    }
  }
}

/** A padlock, drawn in the text's colour: marks a protected environment (changes need approval). */
export const LOCK_SVG =
  '<svg class="lock" viewBox="0 0 16 16" width="12" height="12" aria-hidden="true" focusable="false">' +
  '<path fill="currentColor" d="M8 1a3.5 3.5 0 0 0-3.5 3.5V7H4a1 1 0 0 0-1 1v6a1 1 0 0 0 1 1h8a1 1 0 0 0 1-1V8a1 1 0 0 0-1-1h-.5V4.5A3.5 3.5 0 0 0 8 1Zm-2 6V4.5a2 2 0 1 1 4 0V7H6Z"/></svg>';

/** The padlock as an element, with `title` as its tooltip and spoken name. */
export function lockIcon(title) {
  const el = h("span", { class: "lock-icon", role: "img", "aria-label": "protected", title });
  el.innerHTML = LOCK_SVG;
  return el;
}
