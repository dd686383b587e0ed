// An inline confirmation for destructive actions: real buttons, focus on Cancel, no modal dialog.

import { h } from "../dom.js";

/**
 * A button that, pressed, asks `question` and runs `action()` (async) on confirmation. Errors
 * thrown by `action` show next to the buttons.
 */
export function confirmButton({ id, label, ariaLabel, question, confirmLabel, action, disabled }) {
  const error = h("p", { class: "form-error", role: "alert" });
  const box = h("div", { class: "confirm", hidden: true });
  const open = h("button", { type: "button", class: "danger", id, disabled, "aria-label": ariaLabel }, label);
  const cancel = h("button", { type: "button", id: `${id}-cancel` }, "Cancel");
  const confirm = h("button", { type: "button", class: "danger solid", id: `${id}-confirm` }, confirmLabel);
  open.addEventListener("click", () => {
    box.hidden = false;
    error.textContent = "";
    cancel.focus();
  });
  cancel.addEventListener("click", () => {
    box.hidden = true;
    open.focus();
  });
  confirm.addEventListener("click", async () => {
    error.textContent = "";
    confirm.disabled = true;
    try {
      await action();
      box.hidden = true;
    } catch (failure) {
      error.textContent = failure.message;
      cancel.focus();
    } finally {
      confirm.disabled = false;
    }
  });
  box.append(h("p", {}, question), h("div", { class: "row" }, confirm, cancel));
  return h("div", { class: "confirm-host" }, open, box, error);
}
