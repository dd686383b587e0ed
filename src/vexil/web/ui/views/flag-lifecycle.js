// A flag's lifecycle on its page: kind and owner, the stale signals, "Mark as stale" (docs/lifecycle.md).

import { h } from "../dom.js";
import { KINDS, ago, referencesText, signalList } from "../lifecycle.js";
import { section } from "./flag-section.js";

/**
 * Kind and owner (saved with the page), and the stale signals with their evidence
 * (GET /flags/{name}/stale, `page.stale`; null while loading), with "Mark as stale" or "Not stale"
 * (saved at once, like apps).
 */
export function lifecycleSection(draft, page) {
  const kind = h(
    "select",
    { id: "flag-kind", value: draft.kind },
    KINDS.map(([value, label, lifetime]) => h("option", { value }, `${label} (${lifetime})`)),
  );
  kind.addEventListener("change", () => {
    draft.kind = kind.value;
    page.changed();
  });
  const owner = h("input", { id: "flag-owner", value: draft.owner, autocomplete: "off", placeholder: "team or person" });
  owner.addEventListener("input", () => {
    draft.owner = owner.value;
    page.changed();
  });
  const summary = page.stale;
  const marked = page.base.stale;
  const mark = h(
    "button",
    { type: "button", id: marked ? "flag-not-stale" : "flag-mark-stale", onclick: () => page.markStale(!marked) },
    marked ? "Not stale" : "Mark as stale",
  );
  let verdict;
  if (summary === null) verdict = h("p", { class: "hint" }, "Checking the stale signals…");
  else if (summary.error) verdict = h("p", { class: "notice error" }, `Could not read the stale signals: ${summary.error}`);
  else if (!summary.signals.length) verdict = h("p", { class: "verdict fresh", id: "stale-verdict" }, "No stale signal: the flag looks in use.");
  else
    verdict = h(
      "div",
      { class: `verdict ${summary.ready_to_remove ? "ready" : "stale"}`, id: "stale-verdict" },
      h(
        "p",
        {},
        h("strong", {}, summary.ready_to_remove ? "Ready to remove" : "Potentially stale"),
        ` · ${referencesText(summary.references)}`,
      ),
      signalList(summary.signals, { id: "stale-signals" }),
    );
  return section(
    "lifecycle",
    "Lifecycle",
    "The kind sets how long the flag is expected to live; the signals say why it may be stale.",
    h(
      "div",
      { class: "row" },
      h(
        "div",
        { class: "field", dataset: { path: "kind" } },
        h("label", { for: kind.id }, "Kind"),
        kind,
        h("p", { class: "hint", id: "flag-age" }, `Created ${ago(page.base.created_at)}`),
      ),
      h("div", { class: "field grow", dataset: { path: "owner" } }, h("label", { for: owner.id }, "Owner"), owner),
    ),
    h("div", { class: "stale-box" }, verdict, h("div", { class: "actions" }, mark)),
  );
}
