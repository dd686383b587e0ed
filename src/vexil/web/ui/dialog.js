// The two interruptions the UI allows itself: a modal question (`ask`, a <dialog>: the rest of the
// page is inert and Escape cancels) for what is hard to take back, such as leaving unsaved edits or
// a toggle in a protected environment; and a toast (`toast`) that says what just happened and offers
// to undo it, without blocking anything. Both are real buttons, reachable with the keyboard.

import { h } from "./dom.js";

/**
 * Ask a yes/no question in a modal dialog; resolves true when confirmed. The focus starts on the
 * safe choice (cancel) and goes back where it was.
 */
export function ask({ title, text, confirmLabel, cancelLabel = "Cancel", danger = false, id = "ask" }) {
  return new Promise((resolve) => {
    const before = document.activeElement;
    const cancel = h("button", { type: "button", id: `${id}-cancel` }, cancelLabel);
    const confirm = h("button", { type: "button", id: `${id}-confirm`, class: danger ? "danger solid" : "primary" }, confirmLabel);
    const dialog = h(
      "dialog",
      { class: "ask", id, "aria-labelledby": `${id}-title`, "aria-describedby": `${id}-text` },
      h("h2", { id: `${id}-title` }, title),
      h("p", { id: `${id}-text` }, text),
      h("div", { class: "ask-actions" }, cancel, confirm),
    );
    let answer = false;
    const close = (value) => {
      answer = value;
      dialog.close();
    };
    cancel.addEventListener("click", () => close(false));
    confirm.addEventListener("click", () => close(true));
    dialog.addEventListener("close", () => {
      dialog.remove();
      if (before && before.isConnected && typeof before.focus === "function") before.focus();
      resolve(answer);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

const TOAST_MS = 12000;

/**
 * Say what just happened in a toast at the bottom of the window, with `actions`
 * (`[{label, id, run}]`, or `{label, id, href}` for a link; `run` may return a new message, shown in place, without actions). It goes
 * away after a while, or with its close button. Returns the toast element.
 */
export function toast(message, actions = [], { id = "toast" } = {}) {
  const old = document.getElementById(id);
  if (old) old.remove();
  const text = h("span", { class: "toast-text" }, message);
  const buttons = actions.map((action) =>
    action.href
      ? h("a", { href: action.href, id: action.id, onclick: () => el.remove() }, action.label)
      : h("button", { type: "button", class: "link", id: action.id }, action.label),
  );
  const dismiss = h("button", { type: "button", class: "toast-close", "aria-label": "Dismiss" }, "×");
  const el = h("div", { class: "toast", id, role: "status" }, text, h("span", { class: "toast-actions" }, buttons, dismiss));
  let timer = setTimeout(() => el.remove(), TOAST_MS);
  dismiss.addEventListener("click", () => el.remove());
  actions.forEach((action, index) => {
    if (action.href) return;
    buttons[index].addEventListener("click", async () => {
      for (const button of buttons) button.disabled = true;
      clearTimeout(timer);
      let after;
      try {
        after = await action.run();
        el.classList.remove("error");
      } catch (error) {
        after = error.message;
        el.classList.add("error");
      }
      for (const button of buttons) button.remove();
      text.textContent = after || "";
      timer = setTimeout(() => el.remove(), TOAST_MS);
    });
  });
  document.body.append(el);
  return el;
}
