// The parts of a flag's page that only show what other endpoints say, each `{el, show}`: where
// Unleash SDKs do not get the flag, its last changes, and where code names it.

import { path, query } from "../api.js";
import { h } from "../dom.js";
import { eventItem } from "./audit.js";

/** Where Unleash SDKs do not get this flag, and why (GET /flags/{name}/unleash, docs/unleash.md). */
export function createUnleashNote(ctx, name) {
  const el = h("div", { class: "unleash-slot" });
  return { el, show };

  /** Read again for `doc`, the flag as saved; an archived flag is served nowhere: nothing to explain. */
  function show(doc) {
    if (doc.archived) el.replaceChildren();
    else showUnleash();
  }

  async function showUnleash() {
    let left = [];
    try {
      const body = await ctx.api.get(path("/flags", name, "unleash"));
      left = body.environments.filter((item) => !item.served);
    } catch {
      left = [];
    }
    const where = (item) => (item.environment === null ? "for tokens of no environment" : `in ${item.environment}`);
    el.replaceChildren(
      ...(left.length
        ? [
            h(
              "div",
              { class: "notice unleash", role: "note", id: "unleash-note" },
              h("strong", {}, "Left out of the Unleash client API"),
              h("ul", {}, ...left.map((item) => h("li", {}, `${where(item)}: ${item.reason}`))),
            ),
          ]
        : []),
    );
  }
}

/** The last changes to this flag, from the audit log (refreshed after each change). */
export function createHistory(ctx, name) {
  const el = h("section", { class: "card", "aria-labelledby": "history-title", id: "history", tabindex: "-1" });
  return { el, show };

  async function show() {
    const all = h("a", { href: `#/audit?flag=${encodeURIComponent(name)}` }, "Full history");
    const headRow = h("div", { class: "section-head" }, h("h2", { id: "history-title" }, "History"), all);
    try {
      const body = await ctx.api.get(`/audit${query({ flag: name, limit: 10 })}`);
      el.replaceChildren(
        headRow,
        body.events.length
          ? h("div", { class: "history-events" }, body.events.map(eventItem))
          : h("p", { class: "hint" }, "No changes yet."),
      );
    } catch (error) {
      el.replaceChildren(headRow, h("p", { class: "notice error" }, `Could not load the history: ${error.message}`));
    }
  }
}

/** Where the flag is named in code, from the latest `vexil refs --upload` of each repository and
 * branch (GET /flags/{name}/code-refs, docs/code-refs.md). */
export function createCodeRefs(ctx, name) {
  const el = h("section", { class: "card", "aria-labelledby": "code-refs-title", id: "code-refs" });
  return { el, show };

  async function show() {
    const title = h("h2", { id: "code-refs-title" }, "Code references");
    try {
      const body = await ctx.api.get(path("/flags", name, "code-refs"));
      el.replaceChildren(
        title,
        ...(body.code_refs.length
          ? body.code_refs.map(codeRefsOf)
          : [h("p", { class: "hint" }, "No uploaded scan names this flag. Run vexil refs --upload in a repository.")]),
      );
    } catch (error) {
      el.replaceChildren(title, h("p", { class: "notice error" }, `Could not load the code references: ${error.message}`));
    }
  }
}

/** One repository and branch: where it was scanned, then each file and line with the line's text. */
function codeRefsOf(scan) {
  const when = new Date(scan.uploaded_at).toLocaleString();
  return h(
    "div",
    { class: "code-refs" },
    h(
      "h3",
      {},
      `${scan.repository} · ${scan.branch} `,
      h("span", { class: "meta" }, `${scan.commit.slice(0, 12)} · scanned ${when}`),
    ),
    h(
      "ul",
      {},
      ...scan.references.map((ref) =>
        h("li", {}, h("span", { class: "code-ref-where" }, `${ref.path}:${ref.line}`), " ", h("code", {}, ref.text)),
      ),
    ),
  );
}
