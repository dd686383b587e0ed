// Errors shown next to the field at fault. Containers carry `data-path` ("rules.0.conditions.1",
// "variants.2.payload"); a message goes to the deepest container whose path starts the error's path,
// else to the form's own error slot.

import { h } from "./dom.js";

export function clearErrors(root) {
  for (const el of root.querySelectorAll(".error-msg")) el.remove();
  for (const el of root.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  for (const el of root.querySelectorAll(".form-error")) el.textContent = "";
}

/** Show `message` at `path` under `root` (or in `fallback`); returns the element it went to. */
export function showError(root, path, message, fallback) {
  const target = findContainer(root, path);
  if (!target) {
    const slot = fallback || root.querySelector(".form-error");
    if (slot) slot.textContent = message;
    return slot;
  }
  const control = target.matches("input, select, textarea") ? target : target.querySelector("input, select, textarea");
  const note = h("p", { class: "error-msg", role: "alert" }, message);
  if (control) {
    control.setAttribute("aria-invalid", "true");
    note.id = `${control.id || "field"}-error`;
    control.setAttribute("aria-describedby", note.id);
  }
  const host = target.matches("input, select, textarea") ? target.parentElement : target;
  host.append(note);
  return host;
}

/** An `ApiError` (or `{path, message}`) under `root`, focusing the field at fault. */
export function showApiError(root, error, fallback) {
  const shown = showError(root, error.path || "", error.message, fallback);
  const control = shown && shown.querySelector("[aria-invalid]");
  if (control) control.focus();
}

function findContainer(root, path) {
  if (!path) return null;
  let best = null;
  let bestLength = -1;
  const candidates = [...root.querySelectorAll("[data-path]")];
  if (root.dataset && root.dataset.path !== undefined) candidates.unshift(root);
  for (const el of candidates) {
    const candidate = el.dataset.path;
    const matches = path === candidate || path.startsWith(`${candidate}.`);
    if (matches && candidate.length > bestLength) {
      best = el;
      bestLength = candidate.length;
    }
  }
  return best;
}
