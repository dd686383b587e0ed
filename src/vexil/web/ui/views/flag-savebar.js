// The save bar at the end of a flag's form: what is unsaved, where saving needs approval, Discard,
// Preview impact and Save; and the note on protected environments that it shares with the danger zone.

import { h, lockIcon } from "../dom.js";

/** For an editor, "production is protected: " and what `says(one)` (one: a single environment);
 * nothing for an admin, or where no environment is protected. */
export function protectedNote(ctx, environments, id, says) {
  const guarded = environments.filter((env) => ctx.isProtected(env));
  if (!ctx.needsApproval || !guarded.length) return null;
  const one = guarded.length === 1;
  return h("p", { class: "approval-note", id }, lockIcon("Protected"), ` ${guarded.join(", ")} ${one ? "is" : "are"} protected: ${says(one)}`);
}

/** The bar: `stateText` (what is unsaved), then for a writer the approval note and the buttons. */
export function saveBar(ctx, environments, { readOnly, stateText, formError, impact, onDiscard }) {
  return h(
    "div",
    { class: "savebar" },
    stateText,
    readOnly ? null : approvalNote(ctx, environments),
    readOnly ? null : h("button", { type: "button", id: "discard", onclick: onDiscard }, "Discard changes"),
    readOnly ? null : impact.button,
    readOnly ? null : h("button", { type: "submit", class: "primary", id: "save" }, saveLabel(ctx, environments)),
    formError,
    impact.panel,
  );
}

/** For an editor, where saving needs approval (protected environments). */
function approvalNote(ctx, environments) {
  return protectedNote(
    ctx,
    environments,
    "save-needs-approval",
    (one) => `a change that affects ${one ? "it" : "them"} is sent for approval as a change request, and applies once someone else approves it.`,
  );
}

function saveLabel(ctx, environments) {
  return ctx.needsApproval && environments.some((env) => ctx.isProtected(env)) ? "Save or request approval" : "Save";
}
