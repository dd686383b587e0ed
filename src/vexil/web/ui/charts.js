// Usage charts in plain SVG (no library, no build step): the flags list's 7-day sparkline, built as
// a string like the rest of its rows, and the flag page's stacked bars per hour or day. Colours are
// the stylesheet's `--series-N` variables, so that dark mode changes them with everything else.

import { esc, h } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";
export const SERIES_COLOURS = 6;

/** The colour class of the `index`th series (`series-1` … `series-6`, then again). */
export function seriesClass(index) {
  return `series-${(index % SERIES_COLOURS) + 1}`;
}

/** A 7-day sparkline as SVG markup: an area and its line, the last day marked. */
export function sparkline(values, { width = 72, height = 22 } = {}) {
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const y = (v) => (height - 2 - (v / max) * (height - 4)).toFixed(1);
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${y(v)}`);
  const total = values.reduce((a, b) => a + b, 0);
  const label = `Evaluations per day, last ${values.length} days: ${values.join(", ")}`;
  const last = values.length ? `<circle cx="${((values.length - 1) * step).toFixed(1)}" cy="${y(values.at(-1))}" r="2"/>` : "";
  return (
    `<svg class="spark${total ? "" : " idle"}" viewBox="-2 0 ${width + 4} ${height}" width="${width + 4}" height="${height}" ` +
    `role="img" aria-label="${esc(label)}"><title>${esc(label)}</title>` +
    `<polygon class="area" points="0,${height} ${points.join(" ")} ${width},${height}"/>` +
    `<polyline class="line" points="${points.join(" ")}"/>${last}</svg>`
  );
}

function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs || {})) el.setAttribute(key, String(value));
  for (const child of children) if (child) el.append(child);
  return el;
}

/** Round `max` up to a tidy axis top (1, 2, 5 × 10^n). */
function niceTop(max) {
  if (max <= 4) return 4;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const factor of [1, 2, 2.5, 5, 10]) if (factor * power >= max) return factor * power;
  return 10 * power;
}

export function compact(n) {
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M`;
  if (n >= 1e4) return `${Math.round(n / 1e3)}k`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

/**
 * Stacked bars: `buckets` are `{label, title}` (one per hour or day), `stacks` are
 * `{name, values}` (one value per bucket). Each bar part has a <title> (its name, bucket and count).
 * `width` is the width it will be shown at, so that its text keeps its size.
 */
export function stackedBars(buckets, stacks, { label, width = 720, height = 200 }) {
  const left = 40;
  const bottom = 22;
  const top = 8;
  const plotH = height - bottom - top;
  const totals = buckets.map((_, i) => stacks.reduce((sum, s) => sum + (s.values[i] || 0), 0));
  const max = niceTop(Math.max(0, ...totals));
  const slot = (width - left) / Math.max(1, buckets.length);
  const barW = Math.max(2, Math.min(48, slot * 0.6));
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "usage-chart", role: "img", "aria-label": label });
  root.append(svg("title", {}, label));
  const grid = svg("g", { class: "grid" });
  for (const fraction of [0, 0.5, 1]) {
    const y = top + plotH - fraction * plotH;
    grid.append(svg("line", { x1: left, x2: width, y1: y, y2: y }));
    const text = svg("text", { x: left - 6, y: y + 4, "text-anchor": "end" });
    text.textContent = compact(Math.round(max * fraction));
    grid.append(text);
  }
  root.append(grid);
  const every = Math.ceil(buckets.length / 8);
  buckets.forEach((bucket, i) => {
    const x = left + i * slot + (slot - barW) / 2;
    let y = top + plotH;
    const bar = svg("g", { class: "bar", "data-bucket": i });
    stacks.forEach((stack, s) => {
      const value = stack.values[i] || 0;
      if (!value) return;
      const barH = Math.max(1, (value / max) * plotH);
      y -= barH;
      const rect = svg("rect", { x, y, width: barW, height: barH, class: seriesClass(s), rx: 1.5 });
      const tip = svg("title");
      tip.textContent = `${stack.name} · ${bucket.title}: ${value}`;
      rect.append(tip);
      bar.append(rect);
    });
    root.append(bar);
    if (i % every === 0 || i === buckets.length - 1) {
      // The last label ends at the plot's right edge, so that it is never cut off.
      const last = i === buckets.length - 1;
      const x = last ? left + (i + 1) * slot : left + i * slot + slot / 2;
      const text = svg("text", { x, y: height - 6, "text-anchor": last ? "end" : "middle", class: "tick" });
      text.textContent = bucket.label;
      root.append(text);
    }
  });
  return root;
}

/** A legend: a swatch, a name and a total per stack; `label` names the list for screen readers. */
export function legend(stacks, { id, label } = {}) {
  return h(
    "ul",
    { class: "legend-list", id, "aria-label": label },
    stacks.map((stack, i) =>
      h(
        "li",
        { dataset: { series: stack.name } },
        h("span", { class: `swatch ${seriesClass(i)}`, "aria-hidden": "true" }),
        h("span", { class: "legend-name" }, stack.name),
        h("span", { class: "legend-count" }, stack.total.toLocaleString()),
      ),
    ),
  );
}

/** One horizontal bar split by share (e.g. the variants served), with its legend. */
export function shareBar(counts, { label, id }) {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  const stacks = entries.map(([name, n]) => ({ name, total: n }));
  const bar = h(
    "div",
    { class: "share-bar", role: "img", "aria-label": `${label}: ${entries.map(([n, c]) => `${n} ${c}`).join(", ")}` },
    entries.map(([name, n], i) =>
      h("span", { class: seriesClass(i), style: `width: ${total ? (n / total) * 100 : 0}%`, title: `${name}: ${n}` }),
    ),
  );
  return h("div", { class: "share", id }, bar, legend(stacks));
}
