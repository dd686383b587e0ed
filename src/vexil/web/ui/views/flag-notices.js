// What the top of a flag's page says when the draft cannot simply be saved or kept: someone else
// changed the flag (with Reload), the edit became a change request, the flag was deleted elsewhere.

import { h } from "../dom.js";

/** Someone else's change came first: `message` says which, Reload (`onReload`) takes it in. */
export function conflictNotice(message, onReload) {
  const reload = h("button", { type: "button", id: "reload", onclick: onReload }, "Reload");
  return h(
    "div",
    { class: "notice", role: "alert", id: "conflict" },
    message,
    " Reload to see the current version (your unsaved changes are discarded).",
    reload,
  );
}

/** The write became change request `request` (a protected environment): where the edit went. */
export function requestedNotice(ctx, name, request) {
  const link = h("a", { href: `#/changes/${request.id}`, id: "requested-link" }, `Open change request #${request.id}`);
  const el = h(
    "div",
    { class: "notice requested", role: "alert", id: "requested" },
    h("strong", {}, `Change request #${request.id} created.`),
    ` ${guardedIn(ctx, request)} protected, so your change waits for approval by someone else; ${name} is unchanged until it is approved and applied. `,
    link,
  );
  return { el, link };
}

function guardedIn(ctx, request) {
  const guarded = request.environments.filter((env) => ctx.isProtected(env));
  if (!guarded.length) return "A protected environment is";
  return `${guarded.join(", ")} ${guarded.length > 1 ? "are" : "is"}`;
}

/** The flag left the served set and is not archived either. */
export function deletedNotice() {
  return h(
    "p",
    { class: "notice error", role: "alert" },
    "This flag was deleted by someone else. ",
    h("a", { href: "#/flags" }, "Back to the flags"),
  );
}
