// Cleanup: the flags that can probably go (GET /cleanup, docs/lifecycle.md). "Ready to remove" are
// stale and named in no scanned code; "potentially stale" are stale but still named somewhere (or
// nothing was scanned). Each row says why, with the evidence, and archives in one click; an
// archived row offers Restore as its undo until the page is left.

import { h } from "../dom.js";
import { ago, kindLabel, referencesText, setArchived, signalList } from "../lifecycle.js";

export function mount(main, ctx) {
  const readOnly = ctx.readOnly;
  const status = h("p", { class: "status", role: "status" });
  const stats = h("div", { class: "stats" });
  const body = h("div", { id: "cleanup" }, h("p", { class: "loading" }, "Loading…"));
  main.append(
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, "Cleanup"),
      h(
        "p",
        { class: "hint" },
        "Flags that may be stale, and why. Archiving stops serving a flag but keeps its configuration and history; restore brings it back as it was.",
      ),
    ),
    stats,
    status,
    body,
  );
  load().then(() => ctx.ready("cleanup"));
  return {};

  async function load() {
    let found;
    try {
      found = await ctx.api.get("/cleanup");
    } catch (error) {
      body.replaceChildren(h("p", { class: "notice error", role: "alert" }, `Could not load the stale flags: ${error.message}`));
      return;
    }
    const ready = found.ready_to_remove;
    const stale = found.potentially_stale;
    const scanned = [...ready, ...stale].every((item) => item.references !== null);
    stats.replaceChildren(
      stat("stat-ready", ready.length, "ready to remove", "Stale, and named in no scanned code"),
      stat("stat-stale", stale.length, "potentially stale", "Stale, but still named in code or not scanned"),
    );
    body.replaceChildren(
      group(
        "ready",
        "Ready to remove",
        "Stale, and no uploaded code scan names them: archive them, then delete them from the code's history at leisure.",
        ready,
        "Nothing is ready to remove.",
      ),
      group(
        "stale",
        "Potentially stale",
        scanned || !stale.length
          ? "Stale, but still named in scanned code: remove the code first."
          : "Stale. No code scan was uploaded yet, so nobody knows where they are used: run vexil refs --upload in CI.",
        stale,
        "No other flag shows a stale signal.",
      ),
    );
  }

  function stat(id, n, what, title) {
    return h("div", { class: "card stat", id, title }, h("span", { class: "stat-n" }, String(n)), h("span", { class: "stat-what" }, what));
  }

  function group(id, title, hint, items, none) {
    const head = ["Flag", "Why it may be stale", "Last seen", "Code", ""];
    return h(
      "section",
      { class: "card", "aria-labelledby": `cleanup-${id}-title` },
      h(
        "div",
        { class: "section-head" },
        h("h2", { id: `cleanup-${id}-title` }, title, h("span", { class: "count-badge" }, String(items.length))),
        h("p", { class: "hint" }, hint),
      ),
      items.length
        ? h(
            "div",
            { class: "table-wrap" },
            h(
              "table",
              { id: `cleanup-${id}`, class: "cards cleanup" },
              h("thead", {}, h("tr", {}, head.map((text) => h("th", { scope: "col" }, text)))),
              h("tbody", {}, items.map(row)),
            ),
          )
        : h("p", { class: "empty" }, none),
    );
  }

  function row(item) {
    const action = h("td", { class: "row-actions", "data-label": "Action" });
    const tr = h(
      "tr",
      { dataset: { flag: item.flag } },
      h(
        "th",
        { scope: "row", "data-label": "Flag" },
        h("a", { class: "flag-name", href: `#/flags/${encodeURIComponent(item.flag)}` }, item.flag),
        h(
          "span",
          { class: "meta" },
          h("span", { class: "badge kind" }, kindLabel(item.kind)),
          item.owner ? h("span", { class: "owner" }, item.owner) : h("span", { class: "hint" }, "no owner"),
        ),
      ),
      h("td", { "data-label": "Why" }, signalList(item.signals)),
      h(
        "td",
        { "data-label": "Last seen", class: "nowrap" },
        h("time", { datetime: item.last_seen || "", title: item.last_seen || "never evaluated" }, ago(item.last_seen)),
      ),
      h("td", { "data-label": "Code", class: "nowrap" }, referencesText(item.references)),
      action,
    );
    showAction(tr, action, item.flag, false);
    return tr;
  }

  function showAction(tr, cell, name, archived) {
    tr.classList.toggle("archived", archived);
    const button = archived
      ? h("button", { type: "button", "data-restore": name, "aria-label": `Restore ${name}` }, "Restore")
      : h("button", { type: "button", class: "danger", "data-archive": name, "aria-label": `Archive ${name}` }, "Archive");
    button.disabled = readOnly;
    button.addEventListener("click", () => act(tr, cell, name, !archived));
    cell.replaceChildren(...(archived ? [h("span", { class: "badge archived" }, "Archived"), button] : [button]));
  }

  async function act(tr, cell, name, archive) {
    status.className = "status";
    status.textContent = "";
    for (const button of cell.querySelectorAll("button")) button.disabled = true;
    try {
      const doc = await setArchived(ctx.api, name, archive);
      if (archive) ctx.store.remove(name);
      else ctx.store.upsert(doc);
      showAction(tr, cell, name, archive);
      status.textContent = archive
        ? `${name} is archived: it is no longer served. Restore brings it back.`
        : `${name} is restored and served again.`;
      cell.querySelector("button").focus();
    } catch (error) {
      status.className = "status error";
      status.textContent = `Could not ${archive ? "archive" : "restore"} ${name}: ${error.message}`;
      for (const button of cell.querySelectorAll("button")) button.disabled = readOnly;
    }
  }
}
