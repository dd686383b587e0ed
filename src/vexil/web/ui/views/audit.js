// The audit log: filters (flag, actor, since), pages of 50 (`before_id`), each event's
// before/after as a key-by-key diff, and, for admins, "Revert" on each change of a flag or a
// segment: after a confirmation, POST /audit/{id}/revert puts back the state before it
// (docs/audit.md); when the thing changed since, the server says so and the button offers
// "Revert anyway".

import { ChangeRequested, query } from "../api.js";
import { h, showJson } from "../dom.js";
import { confirmButton } from "./confirm.js";
import { canonical } from "../flagdraft.js";
import { clearErrors, showApiError } from "../forms.js";

const PAGE = 50;

// Who acted: a person (an email), a token (its name), or Vexil itself.
const ACTOR_KINDS = { person: "person", token: "token", vexil: "Vexil" };

export function mount(main, ctx, { params }) {
  const filters = {
    flag: params.get("flag") || "",
    actor: params.get("actor") || "",
    since: params.get("since") || "",
    before_id: params.get("before_id") || "",
  };
  const flag = h("input", { id: "audit-flag", value: filters.flag, autocomplete: "off", spellcheck: "false" });
  const actor = h("input", { id: "audit-actor", value: filters.actor, autocomplete: "off", spellcheck: "false" });
  const since = h("input", { id: "audit-since", type: "datetime-local", value: toLocalInput(filters.since) });
  const form = h(
    "form",
    { class: "filters", role: "search", novalidate: true, onsubmit: onFilter },
    field("Flag", flag, "flag"),
    field("Actor", actor, "actor"),
    field("Since", since, "since"),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Filter")),
    h("p", { class: "form-error", role: "alert" }),
  );
  const list = h("div", { id: "audit-events" }, h("p", { class: "loading" }, "Loading…"));
  const pager = h("nav", { class: "pager", "aria-label": "Pages" });
  main.append(h("div", { class: "page-head" }, h("h1", {}, "Audit log")), form, list, pager);
  load();
  return {};

  function onFilter(event) {
    event.preventDefault();
    const next = { flag: flag.value.trim(), actor: actor.value.trim() };
    if (since.value) next.since = new Date(since.value).toISOString();
    ctx.navigate(`#/audit${query(next)}`);
  }

  async function load() {
    const request = { flag: filters.flag, actor: filters.actor, since: filters.since, limit: PAGE };
    if (filters.before_id) request.before_id = filters.before_id;
    try {
      const page = await ctx.api.get(`/audit${query(request)}`);
      show(page);
    } catch (error) {
      clearErrors(form);
      list.replaceChildren();
      showApiError(form, error);
    }
    ctx.ready("audit");
  }

  function show(page) {
    list.replaceChildren(
      ...(page.events.length
        ? page.events.map((event) => withRevert(eventItem(event), event))
        : [h("p", { class: "empty" }, filters.before_id ? "No older events." : "No events match.")]),
    );
    const base = { flag: filters.flag, actor: filters.actor, since: filters.since };
    const links = [];
    if (filters.before_id) links.push(h("a", { href: `#/audit${query(base)}`, id: "audit-newest" }, "← Newest"));
    if (page.next_before_id) {
      const older = query({ ...base, before_id: page.next_before_id });
      links.push(h("a", { href: `#/audit${older}`, id: "audit-older" }, "Older →"));
    }
    pager.replaceChildren(...links);
  }

  /** `item` with a Revert button, for an admin and an event that has a state to put back. */
  function withRevert(item, event) {
    if (ctx.readOnly || !REVERTIBLE.has(event.entity)) return item;
    let force = false;
    const id = `revert-${event.id}`;
    const control = confirmButton({
      id,
      label: "Revert",
      ariaLabel: `Revert event ${event.id}`,
      question: revertQuestion(event),
      confirmLabel: "Revert",
      action: async () => {
        try {
          await ctx.api.post(`/audit/${event.id}/revert${query({ force: force ? "true" : "" })}`);
        } catch (error) {
          if (error instanceof ChangeRequested) {
            control.replaceWith(requested(error.request));
            return;
          }
          if (error.status === 409 && !force && /\(force\)/.test(error.message)) {
            force = true;
            control.querySelector(`#${id}-confirm`).textContent = "Revert anyway";
          }
          throw error;
        }
        await load();
      },
    });
    item.querySelector(".event-head").append(control);
    return item;
  }
}

const REVERTIBLE = new Set(["flag", "segment"]);

/** A revert in a protected environment waits in a change request: say so, where the button was. */
function requested(request) {
  return h(
    "p",
    { class: "notice requested revert-requested", role: "status" },
    `Revert sent for approval: `,
    h("a", { href: `#/changes/${request.id}` }, `change request #${request.id}`),
    " applies it once someone else approves it.",
  );
}

function revertQuestion(event) {
  const what = `${event.entity} ${event.entity_id}`;
  if (event.before === null || event.before === undefined) return `Delete ${what}, which this event created?`;
  if (event.after === null || event.after === undefined) return `Create ${what} again, as it was before it was deleted?`;
  return `Put ${what} back as it was before this change? Evaluations follow at once.`;
}

export function eventItem(event) {
  const rows = diff(event.before, event.after);
  const entity =
    event.entity === "flag" && event.action !== "delete"
      ? h("a", { href: `#/flags/${encodeURIComponent(event.entity_id)}` }, event.entity_id)
      : event.entity_id;
  return h(
    "article",
    { class: "event", dataset: { id: event.id, action: event.action, entity: event.entity } },
    h(
      "div",
      { class: "event-head" },
      h("time", { datetime: event.at }, new Date(event.at).toLocaleString()),
      h("strong", {}, event.action),
      h("span", {}, `${event.entity} `, entity),
      h(
        "span",
        { class: "actor" },
        `by ${event.actor}`,
        event.actor_kind ? h("span", { class: `badge actor-${event.actor_kind}` }, ACTOR_KINDS[event.actor_kind] || event.actor_kind) : null,
      ),
      event.via ? via(event.via) : null,
      event.reverts ? h("span", { class: "reverts" }, `reverts #${event.reverts}`) : null,
      h("span", { class: "event-id", title: "Event id" }, `#${event.id}`),
    ),
    rows.length
      ? h(
          "details",
          {},
          h("summary", {}, summary(event, rows)),
          h(
            "div",
            { class: "table-wrap" },
            h(
              "table",
              { class: "diff" },
              h("thead", {}, h("tr", {}, ["Field", "Before", "After"].map((t) => h("th", { scope: "col" }, t)))),
              h(
                "tbody",
                {},
                rows.map((row) =>
                  h(
                    "tr",
                    { dataset: { key: row.key } },
                    h("th", { scope: "row" }, row.key),
                    h("td", { class: "before" }, row.before === undefined ? h("em", {}, "—") : h("pre", {}, showJson(row.before))),
                    h("td", { class: "after" }, row.after === undefined ? h("em", {}, "—") : h("pre", {}, showJson(row.after))),
                  ),
                ),
              ),
            ),
          ),
        )
      : null,
  );
}

/** What applied a write: a change request (who approved it, who applied it), or a schedule or a
 * release plan's step (docs/schedules.md: which, who scheduled it, how late). */
function via(details) {
  if (details.schedule !== undefined) return viaSchedule(details);
  const { change_request: id, approvers, applied_by: applier } = details;
  return h(
    "span",
    { class: "via" },
    "through ",
    h("a", { href: `#/changes/${id}` }, `change request #${id}`),
    `, approved by ${approvers.join(", ") || "nobody"}, applied by ${applier}`,
  );
}

function viaSchedule({ schedule, release_plan: plan, step, scheduled_by: by, late_seconds: late }) {
  const what = plan === undefined ? `schedule #${schedule}` : `step ${step} of release plan #${plan}`;
  const lateness = late ? `, ${late} s late` : "";
  return h("span", { class: "via" }, `by ${what}, scheduled by ${by}${lateness}`);
}

const BOOKKEEPING = new Set(["version", "updated_at"]);

function summary(event, rows) {
  if (event.before === null || event.before === undefined) return "Show what was created";
  if (event.after === null || event.after === undefined) return "Show what was deleted";
  const keys = rows.map((row) => row.key).filter((key) => !BOOKKEEPING.has(key));
  return `Changed: ${(keys.length ? keys : rows.map((row) => row.key)).join(", ")}`;
}

/** The top-level keys whose values differ between `before` and `after` (either may be null). */
export function diff(before, after) {
  const left = isObject(before) ? before : {};
  const right = isObject(after) ? after : {};
  const keys = [...new Set([...Object.keys(right), ...Object.keys(left)])];
  return keys
    .filter((key) => canonical(left[key]) !== canonical(right[key]))
    .map((key) => ({ key, before: left[key], after: right[key] }));
}

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function toLocalInput(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return local.toISOString().slice(0, 16);
}

function field(label, control, pathName) {
  return h("div", { class: "field", dataset: { path: pathName } }, h("label", { for: control.id }, label), control);
}
