// Archiving, restoring and deleting a flag from its page (docs/lifecycle.md): the "Archive or delete"
// card at the end, and the note with Restore at the top of an archived flag's page. Both write at
// once, through the page's `flag.act` (so that changes from the stream wait for them).

import { path } from "../api.js";
import { h } from "../dom.js";
import { setArchived } from "../lifecycle.js";
import { confirmButton } from "./confirm.js";

/**
 * `flag` is the page: `base()` (the flag as saved), `notice` (where the archived note goes before),
 * `stateText`, `act` and `applyImmediate` (a write and taking in its answer), `protectedNote`,
 * `whileBusy` (a write that the stream waits for) and `deleted()`.
 */
export function createDanger(ctx, name, flag) {
  const readOnly = ctx.readOnly;
  const el = h("section", { class: "card", "aria-labelledby": "danger-title" });
  return { el, render: renderDanger, showArchived };

  /** An archived flag's page says so first, and offers Restore. */
  function showArchived() {
    const old = document.getElementById("archived-note");
    if (!flag.base().archived) {
      if (old) old.remove();
      return;
    }
    const error = h("p", { class: "form-error", role: "alert" });
    const restore = h("button", { type: "button", class: "primary", id: "flag-restore" }, "Restore");
    restore.addEventListener("click", () => archive(false).catch((failure) => (error.textContent = failure.message)));
    restore.disabled = readOnly;
    const note = h(
      "div",
      { class: "notice archived-note", id: "archived-note", role: "note" },
      h("div", {}, h("strong", {}, "This flag is archived."), " Every evaluation answers as for a flag that does not exist. Its configuration and history are kept; Restore serves it again as it was."),
      restore,
      error,
    );
    if (old) old.replaceWith(note);
    else flag.notice.before(note);
  }

  /** Archive or restore; rejects with the API's error (shown by the button that asked). */
  async function archive(archived) {
    let failure = null;
    await flag.act(
      () => setArchived(ctx.api, name, archived),
      (doc) => {
        flag.applyImmediate(doc, (edited) => edited);
        renderDanger();
        flag.stateText.textContent = archived ? `Archived: ${name} is no longer served.` : `Restored: ${name} is served again.`;
        const focus = document.getElementById(archived ? "flag-restore" : "flag-archive");
        if (focus) focus.focus();
      },
      (error) => {
        failure = error;
      },
    );
    if (failure) throw failure;
  }

  /** Archiving and deleting cannot wait in a change request: where an environment is protected,
   * only an admin does them (docs/change-requests.md). */
  function adminOnlyNote() {
    return flag.protectedNote("danger-admin-only", () => "only an admin can archive or delete this flag.");
  }

  function renderDanger() {
    const archived = flag.base().archived;
    const adminOnly = adminOnlyNote();
    el.replaceChildren(
      h("h2", { id: "danger-title" }, "Archive or delete"),
      h(
        "p",
        { class: "hint" },
        "Archiving stops serving the flag everywhere but keeps its configuration and history, and can be undone. Deleting cannot.",
      ),
      ...(adminOnly ? [adminOnly] : []),
      h(
        "div",
        { class: "danger-actions" },
        archived
        ? h("p", { class: "hint" }, "This flag is archived: restore it from the top of the page.")
        : confirmButton({
            id: "flag-archive",
            label: "Archive flag…",
            question: `Archive ${name}? Every evaluation will answer as for a flag that does not exist, until it is restored. Its configuration and history are kept.`,
            confirmLabel: `Archive ${name}`,
            disabled: readOnly || Boolean(adminOnly),
            action: () => archive(true),
          }),
      confirmButton({
        id: "flag-delete",
        label: "Delete flag…",
        question: `Delete ${name}, with its overrides and app scopes? This cannot be undone.`,
        confirmLabel: `Delete ${name}`,
        disabled: readOnly || Boolean(adminOnly),
        action: async () => {
          await flag.whileBusy(() => ctx.api.del(path("/flags", name)));
          flag.deleted();
        },
      }),
      ),
    );
  }
}
