// The impact preview of a pending edit (docs/impact.md): a "Preview impact" button that asks the
// server how many of the contexts it recently evaluated the edit would flip, and a panel that shows
// the counts (never a context). Any further edit makes the counts stale: the panel empties until
// the button is pressed again.

import { h } from "../dom.js";

const number = new Intl.NumberFormat();

/**
 * `url`: the impact route (`/flags/{name}/impact`); `pending()`: the body to send, or null when
 * there is nothing valid to preview; `nameFlags`: name the flag of each change even when only one
 * flag is compared (a segment's page). Returns `{button, panel, stale}`; call `stale()` on every edit.
 */
export function impactPreview(api, url, pending, { nameFlags = false } = {}) {
  const panel = h("div", { class: "impact", id: "impact", role: "status", hidden: true });
  const button = h("button", { type: "button", id: "preview-impact" }, "Preview impact");
  let asked = 0;
  button.addEventListener("click", async () => {
    const body = pending();
    if (body === null) {
      show(h("p", {}, "Nothing to preview: make a change first (and fix what is marked)."));
      return;
    }
    const ticket = ++asked;
    button.disabled = true;
    show(h("p", { class: "loading" }, "Counting the recent users this would change…"));
    try {
      const result = await api.post(url, body);
      if (ticket === asked) show(...describe(result, nameFlags));
    } catch (error) {
      if (ticket === asked) show(h("p", { class: "form-error" }, error.message));
    } finally {
      button.disabled = false;
    }
  });
  return {
    button,
    panel,
    stale() {
      asked += 1;
      panel.hidden = true;
      panel.replaceChildren();
    },
  };

  function show(...children) {
    panel.replaceChildren(...children);
    panel.hidden = false;
  }
}

/** The counts, in words: the headline, each move from one variant to another, each environment. */
export function describe(result, nameFlags = false) {
  if (!result.sampled) {
    return [h("p", {}, "This server has not evaluated any flag recently: there is nobody to compare with yet.")];
  }
  const headline = h(
    "p",
    { class: "impact-headline" },
    h("strong", {}, `${number.format(result.flipped)} of ${number.format(result.sampled)}`),
    " recent users would get a different answer.",
  );
  const parts = [headline];
  if (result.by_change.length) {
    parts.push(
      h(
        "ul",
        { class: "impact-changes" },
        result.by_change.map((change) =>
          h(
            "li",
            { dataset: { flag: change.flag, from: change.from ?? "", to: change.to ?? "" } },
            nameFlags || result.flags.length > 1 ? `${change.flag}: ` : "",
            h("code", {}, change.from ?? "(none)"),
            " → ",
            h("code", {}, change.to ?? "(none)"),
            h("span", { class: "count" }, number.format(change.count)),
          ),
        ),
      ),
    );
  }
  const environments = Object.entries(result.by_environment).map(
    ([env, counts]) => `${env || "no environment"}: ${number.format(counts.flipped)} of ${number.format(counts.sampled)}`,
  );
  parts.push(h("p", { class: "impact-environments" }, environments.join(" · ")));
  if (result.drawn) {
    parts.push(
      h("p", { class: "hint" }, `${number.format(result.drawn)} without an identifier get a random draw either way.`),
    );
  }
  return parts;
}
