// What the parts of a flag's page are built from. Each part (the flag-*.js section modules) builds its
// piece of the form from the draft; edits write to the draft and call `page.changed()`; adding,
// removing or moving rows calls `page.rerender(focusId)`.

import { h } from "../dom.js";

export function section(id, title, hint, ...children) {
  return h(
    "section",
    { class: "card", "aria-labelledby": `${id}-title`, id, tabindex: "-1" },
    h("div", { class: "section-head" }, h("h2", { id: `${id}-title` }, title), hint ? h("p", { class: "hint" }, hint) : null),
    ...children,
  );
}

export function percentInput(id, value, label) {
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
