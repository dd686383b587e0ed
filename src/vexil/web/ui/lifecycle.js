// A flag's lifecycle as the pages show it (docs/lifecycle.md): its kind, when it was last seen,
// its stale signals in words with their evidence, and archiving (with restore as the undo).

import { path } from "./api.js";
import { h } from "./dom.js";

/** The kinds and their expected lifetimes, as the server defines them (core/lifecycle.py). */
export const KINDS = [
  ["release", "Release", "40 days"],
  ["experiment", "Experiment", "40 days"],
  ["operational", "Operational", "7 days"],
  ["kill_switch", "Kill switch", "permanent"],
  ["permission", "Permission", "permanent"],
];

export function kindLabel(kind) {
  const found = KINDS.find(([key]) => key === kind);
  return found ? found[1] : kind;
}

/** "just now", "5 min ago", "2 h ago", "3 d ago", "never"; the exact time is the title. */
export function ago(stamp, now = Date.now()) {
  if (!stamp) return "never";
  const seconds = Math.max(0, (now - new Date(stamp).getTime()) / 1000);
  if (seconds < 60) return "just now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  if (seconds < 86400 * 60) return `${Math.floor(seconds / 86400)} d ago`;
  return new Date(stamp).toLocaleDateString();
}

const day = (stamp) => new Date(stamp).toLocaleDateString();
const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** A stale signal as `{title, detail}`: what holds, and the evidence in plain words. */
export function signalText({ signal, evidence: e }) {
  switch (signal) {
    case "past_lifetime":
      return {
        title: "Past its expected lifetime",
        detail: `${kindLabel(e.kind)} flags are expected to live ${e.lifetime_days} days; this one is ${plural(e.age_days, "day")} old (created ${day(e.created_at)}).`,
      };
    case "one_variant": {
      const envs = Object.entries(e.environments || {});
      const where = envs.length ? ` (${envs.map(([env, v]) => `${env}: ${v}`).join(", ")})` : "";
      return {
        title: "Serves one variant to everyone",
        detail: `Every context gets "${e.variant}"${where}, unchanged for ${plural(e.days, "day")} (since ${day(e.unchanged_since)}).`,
      };
    }
    case "marked_stale":
      return { title: "Marked stale", detail: `A person marked it stale (flag last changed ${day(e.since)}).` };
    case "not_evaluated":
      return {
        title: "Not evaluated",
        detail: e.last_seen
          ? `No evaluation for ${plural(e.days, "day")}: last seen ${day(e.last_seen)}.`
          : `Never evaluated in the ${plural(e.days, "day")} it has existed.`,
      };
    default:
      return { title: signal, detail: JSON.stringify(e) };
  }
}

/** The signals as a list: each title in bold, its evidence after it. */
export function signalList(signals, { id } = {}) {
  return h(
    "ul",
    { class: "signals", id },
    signals.map((s) => {
      const { title, detail } = signalText(s);
      return h("li", { dataset: { signal: s.signal } }, h("strong", {}, title), " ", h("span", { class: "evidence" }, detail));
    }),
  );
}

/** Where the flag is named in scanned code, in words. */
export function referencesText(references) {
  if (references === null || references === undefined) return "no scan uploaded";
  if (references === 0) return "named in no scanned code";
  return `named in ${plural(references, "scan")}`;
}

/** Archive or restore through the API; answers the flag document. */
export function setArchived(api, name, archived) {
  return api.post(path("/flags", name, archived ? "archive" : "restore"));
}
