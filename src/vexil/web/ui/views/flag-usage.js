// A flag page's Usage section (GET /flags/{name}/usage, docs/usage.md): evaluations per hour (last
// 24 hours) or per day (7 or 30 days) as stacked bars by environment, then the split by variant,
// source and app, and when the flag was last seen. The API's series is per period for a filter,
// so each environment the period counted is read with its own filter (there are few of them).

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

function valuesOf(series, buckets) {
  const counts = new Map(series.map((point) => [new Date(point.at).getTime(), point.count]));
  return buckets.map((bucket) => counts.get(bucket.at) || 0);
}

export function createUsage(ctx, name) {
  let period = "7d";
  let shown = 0;
  let environments = [];
  const body = h("div", { class: "usage-body" }, h("p", { class: "hint" }, "Loading…"));
  const seen = h("span", { class: "meta", id: "usage-last-seen" });
  const chooser = h(
    "div",
    { class: "segmented", role: "group", "aria-label": "Period" },
    PERIODS.map(([key, label]) =>
      h(
        "button",
        { type: "button", id: `usage-period-${key}`, "aria-pressed": String(key === period), onclick: () => choose(key) },
        label,
      ),
    ),
  );
  const el = h(
    "section",
    { class: "card", id: "usage", tabindex: "-1", "aria-labelledby": "usage-title" },
    h("div", { class: "section-head usage-head" }, h("h2", { id: "usage-title" }, "Usage"), seen, chooser),
    body,
  );

  function choose(key) {
    period = key;
    for (const button of chooser.querySelectorAll("button")) {
      button.setAttribute("aria-pressed", String(button.id === `usage-period-${key}`));
    }
    show();
  }

  async function show(envs) {
    if (envs) environments = envs;
    // A later choice wins: an answer to an earlier one that arrives after it is dropped.
    const asked = ++shown;
    const buckets = bucketsOf(period);
    const since = new Date(buckets[0].at).toISOString();
    const read = (environment) => ctx.api.get(path("/flags", name, "usage") + query({ since, environment }));
    let total;
    let perEnvironment;
    try {
      total = await read();
      const named = Object.keys(total.by_environment)
        .filter(Boolean)
        .sort((a, b) => order(a) - order(b));
      perEnvironment = await Promise.all(named.map(async (env) => [env, (await read(env)).series]));
    } catch (error) {
      if (asked !== shown) return;
      body.replaceChildren(h("p", { class: "notice error" }, `Could not load the usage: ${error.message}`));
      return;
    }
    if (asked !== shown) return;
    seen.textContent = total.last_seen ? `last seen ${ago(total.last_seen)}` : "never evaluated in this period";
    seen.title = total.last_seen || "";
    el.dataset.total = String(total.total);
    const stacks = perEnvironment.map(([env, series]) => ({ name: env, values: valuesOf(series, buckets) }));
    // Evaluations that named no environment: what the total has beyond the named ones.
    const all = valuesOf(total.series, buckets);
    const rest = all.map((n, i) => n - stacks.reduce((sum, s) => sum + s.values[i], 0));
    if (rest.some((n) => n > 0)) stacks.push({ name: "no environment", values: rest });
    for (const stack of stacks) stack.total = stack.values.reduce((a, b) => a + b, 0);
    const unit = period === "24h" ? "hour" : "day";
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
    body.replaceChildren(
      h(
        "div",
        { class: "usage-total" },
        h("span", { class: "big", id: "usage-total" }, total.total.toLocaleString()),
        ` evaluations, per ${unit}, by environment`,
      ),
      stackedBars(buckets, stacks, {
        label: `Evaluations of ${name} per ${unit}, by environment: ${compact(total.total)} in all`,
        width: Math.max(320, body.clientWidth || 720),
      }),
      legend(stacks, { id: "usage-environments" }),
      h(
        "div",
        { class: "usage-splits" },
        split("By variant", total.by_variant, "usage-variants"),
        split("By source", total.by_source, "usage-sources"),
        split("By app", renamed(total.by_app, "no app"), "usage-apps"),
      ),
    );
  }

  function order(env) {
    const index = environments.indexOf(env);
    return index < 0 ? environments.length : index;
  }

  return { el, show };
}

function split(title, counts, id) {
  return h("div", { class: "usage-split" }, h("h3", {}, title), shareBar(renamed(counts, "none"), { label: title, id }));
}

/** The API's '' key ("none named") under a readable name. */
function renamed(counts, none) {
  return Object.fromEntries(Object.entries(counts).map(([key, n]) => [key || none, n]));
}
