// A flag's page's Usage section (GET /flags/{name}/usage, docs/usage.md): evaluations per hour (last
// 24 hours) or per day (7 or 30 days) as stacked bars, by environment or by variant (each period of
// the API's series is split both ways), then the split by variant, source and app, and when the flag
// was last seen.

import { path, query } from "../api.js";
import { compact, legend, shareBar, stackedBars } from "../charts.js";
import { h } from "../dom.js";
import { ago } from "../lifecycle.js";

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;
const PERIODS = [
  ["24h", "24 h"],
  ["7d", "7 d"],
  ["30d", "30 d"],
];

/** The buckets of a period, oldest first: 24 hours up to this one, or N days up to today (UTC). */
export function bucketsOf(period, now = Date.now()) {
  if (period === "24h") {
    const last = Math.floor(now / HOUR) * HOUR;
    return Array.from({ length: 24 }, (_, i) => {
      const at = new Date(last - (23 - i) * HOUR);
      const hour = at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      return { at: at.getTime(), label: hour, title: `${at.toLocaleDateString()} ${hour}` };
    });
  }
  const days = period === "30d" ? 30 : 7;
  const today = Math.floor(now / DAY) * DAY;
  return Array.from({ length: days }, (_, i) => {
    const at = new Date(today - (days - 1 - i) * DAY);
    const label = at.toLocaleDateString([], { month: "short", day: "numeric", timeZone: "UTC" });
    return { at: at.getTime(), label, title: label };
  });
}

// What the bars can be stacked by: the key of each series point's split, and the name of its ''.
const STACKS = {
  environment: { split: "by_environment", none: "no environment" },
  variant: { split: "by_variant", none: "none" },
};

/** One stack per key of the series' split `by` (in `keys`' order): its count in each bucket. */
function stacksOf(series, buckets, by, keys) {
  const { split, none } = STACKS[by];
  const points = new Map(series.map((point) => [new Date(point.at).getTime(), point[split]]));
  return keys.map((key) => {
    const values = buckets.map((bucket) => points.get(bucket.at)?.[key] || 0);
    return { name: key || none, values, total: values.reduce((a, b) => a + b, 0) };
  });
}

export function createUsage(ctx, name) {
  let period = "7d";
  let by = "environment";
  let shown = 0;
  let environments = [];
  let answer = null;
  const body = h("div", { class: "usage-body" }, h("p", { class: "hint" }, "Loading…"));
  const seen = h("span", { class: "meta", id: "usage-last-seen" });
  const periods = segmented("Period", "usage-period", PERIODS, period, (key) => {
    period = key;
    show();
  });
  const stacking = segmented(
    "Stack the bars by",
    "usage-by",
    [
      ["environment", "By environment"],
      ["variant", "By variant"],
    ],
    by,
    (key) => {
      by = key;
      if (answer) render();
    },
  );
  const el = h(
    "section",
    { class: "card", id: "usage", tabindex: "-1", "aria-labelledby": "usage-title" },
    h("div", { class: "section-head usage-head" }, h("h2", { id: "usage-title" }, "Usage"), seen, periods),
    body,
  );

  async function show(envs) {
    if (envs) environments = envs;
    // A later choice wins: an answer to an earlier one that arrives after it is dropped.
    const asked = ++shown;
    const since = new Date(bucketsOf(period)[0].at).toISOString();
    let found;
    try {
      found = await ctx.api.get(path("/flags", name, "usage") + query({ since }));
    } catch (error) {
      if (asked !== shown) return;
      body.replaceChildren(h("p", { class: "notice error" }, `Could not load the usage: ${error.message}`));
      return;
    }
    if (asked !== shown) return;
    answer = found;
    render();
  }

  function render() {
    const total = answer;
    const buckets = bucketsOf(period);
    seen.textContent = total.last_seen ? `last seen ${ago(total.last_seen)}` : "never evaluated in this period";
    seen.title = total.last_seen || "";
    el.dataset.total = String(total.total);
    if (!total.total) {
      body.replaceChildren(
        h(
          "p",
          { class: "empty", id: "usage-empty" },
          "No evaluation in this period. Every server-side evaluation and every SDK metrics report counts here.",
        ),
      );
      return;
    }
    const stacks = stacksOf(total.series, buckets, by, by === "environment" ? environmentKeys(total) : variantKeys(total));
    const unit = period === "24h" ? "hour" : "day";
    body.replaceChildren(
      h(
        "div",
        { class: "usage-total" },
        h("span", {}, h("span", { class: "big", id: "usage-total" }, total.total.toLocaleString()), ` evaluations, per ${unit}, by ${by}`),
        stacking,
      ),
      stackedBars(buckets, stacks, {
        label: `Evaluations of ${name} per ${unit}, by ${by}: ${compact(total.total)} in all; ${stacks
          .map((stack) => `${stack.name} ${stack.total}`)
          .join(", ")}`,
        width: Math.max(320, body.clientWidth || 720),
      }),
      legend(stacks, { id: "usage-stacks", label: `Bars by ${by}` }),
      h(
        "div",
        { class: "usage-splits" },
        split("By variant", total.by_variant, "usage-variants"),
        split("By source", total.by_source, "usage-sources"),
        split("By app", renamed(total.by_app, "no app"), "usage-apps"),
      ),
    );
  }

  /** The environments counted, as the team orders them; what named none last. */
  function environmentKeys(total) {
    const rank = (env) => {
      if (!env) return Infinity;
      const index = environments.indexOf(env);
      return index < 0 ? environments.length : index;
    };
    return Object.keys(total.by_environment).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  }

  return { el, show };
}

/** The variants counted, most served first: the order (and so the colours) of the By variant bar. */
function variantKeys(total) {
  return Object.entries(total.by_variant)
    .sort((a, b) => b[1] - a[1])
    .map(([key]) => key);
}

/** A group of buttons of which one is pressed: `choices` are [key, label]; `onChoose(key)`. */
function segmented(label, idPrefix, choices, chosen, onChoose) {
  const group = h(
    "div",
    { class: "segmented", role: "group", "aria-label": label },
    choices.map(([key, text]) =>
      h("button", { type: "button", id: `${idPrefix}-${key}`, "aria-pressed": String(key === chosen), onclick: () => choose(key) }, text),
    ),
  );
  function choose(key) {
    for (const button of group.querySelectorAll("button")) {
      button.setAttribute("aria-pressed", String(button.id === `${idPrefix}-${key}`));
    }
    onChoose(key);
  }
  return group;
}

function split(title, counts, id) {
  return h("div", { class: "usage-split" }, h("h3", {}, title), shareBar(renamed(counts, "none"), { label: title, id }));
}

/** The API's '' key ("none named") under a readable name. */
function renamed(counts, none) {
  return Object.fromEntries(Object.entries(counts).map(([key, n]) => [key || none, n]));
}
