// A flag's Schedule section (docs/schedules.md): a timeline of what is planned for the flag and what
// applied, its scheduled changes (GET /schedules?flag=) and the steps of its release plans
// (GET /release-plans?flag=) in time order, with a "now" line between past and future; and, for
// those who may write, forms to schedule a change and to plan a rollout in steps. The executor on
// the server applies each item when due; this section only shows and asks.

import { ChangeRequested, path, query } from "../api.js";
import { h } from "../dom.js";

const DONE = new Set(["applied", "failed", "cancelled"]);

/** An ISO instant as the reader's local date and time, short. */
export function when(iso) {
  const at = new Date(iso);
  return at.toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

/** A datetime-local input's value for `date` (local time, to the minute). */
function localInput(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The timeline's entries, time order: scheduled changes and every plan's steps, each with its plan. */
export function entries(schedules, plans) {
  const items = schedules.map((item) => ({ item, plan: null }));
  for (const plan of plans) for (const step of plan.steps) items.push({ item: step, plan });
  return items.sort((a, b) => new Date(a.item.at) - new Date(b.item.at) || a.item.id - b.item.id);
}

export function createSchedules(ctx, name) {
  const readOnly = ctx.readOnly;
  const body = h("div", { class: "timeline-body" }, h("p", { class: "hint" }, "Loading…"));
  const message = h("p", { class: "form-error", role: "alert" });
  const forms = readOnly ? null : h("div", { class: "schedule-forms" }, scheduleForm(), planForm());
  const el = h(
    "section",
    { class: "card", id: "schedule", tabindex: "-1", "aria-labelledby": "schedule-title" },
    h(
      "div",
      { class: "section-head" },
      h("h2", { id: "schedule-title" }, "Schedule"),
      h("span", { class: "meta" }, "changes and release plans, applied by the server when due"),
    ),
    body,
    message,
    forms,
  );
  let environments = [];

  async function show(envs) {
    if (envs) {
      environments = envs;
      for (const select of el.querySelectorAll("select[data-environments]")) fillEnvironments(select);
    }
    let schedules;
    let plans;
    try {
      [schedules, plans] = await Promise.all([
        ctx.api.get("/schedules" + query({ flag: name })),
        ctx.api.get("/release-plans" + query({ flag: name })),
      ]);
    } catch (error) {
      body.replaceChildren(h("p", { class: "notice error" }, `Could not load the schedule: ${error.message}`));
      return;
    }
    render(entries(schedules.schedules, plans.release_plans), plans.release_plans);
  }

  function render(items, plans) {
    if (!items.length) {
      body.replaceChildren(
        h("p", { class: "empty", id: "timeline-empty" }, "Nothing scheduled. Schedule a change or plan a rollout below."),
      );
      return;
    }
    const now = Date.now();
    const rows = [];
    let nowShown = false;
    for (const { item, plan } of items) {
      if (!nowShown && new Date(item.at).getTime() > now) {
        rows.push(h("li", { class: "timeline-now", "aria-label": "now" }, h("span", {}, "now")));
        nowShown = true;
      }
      rows.push(entry(item, plan));
    }
    if (!nowShown) rows.push(h("li", { class: "timeline-now", "aria-label": "now" }, h("span", {}, "now")));
    body.replaceChildren(
      plans.length ? h("div", { class: "plans" }, plans.map(planHead)) : null,
      h("ol", { class: "schedule-timeline", id: "timeline" }, rows),
    );
  }

  function planHead(plan) {
    const applied = plan.steps.filter((step) => step.state === "applied").length;
    const act = (label, verb, id) =>
      h("button", { type: "button", class: "link", id: `plan-${plan.id}-${id}`, onclick: () => move(plan, verb) }, label);
    return h(
      "div",
      { class: "plan-head", id: `plan-${plan.id}`, dataset: { state: plan.state } },
      h("strong", {}, plan.title),
      h("span", { class: `badge state-${plan.state}` }, plan.state),
      h("span", { class: "meta" }, `${applied} of ${plan.steps.length} steps applied`),
      plan.note ? h("span", { class: "meta warn" }, plan.note) : null,
      readOnly || !["active", "paused"].includes(plan.state)
        ? null
        : h(
            "span",
            { class: "plan-actions" },
            plan.state === "active" ? act("Pause", "pause", "pause") : act("Resume", "resume", "resume"),
            act("Cancel plan", "cancel", "cancel"),
          ),
    );
  }

  function entry(item, plan) {
    const late = item.late_seconds ? ` · ${Math.round(item.late_seconds / 60)} min late` : "";
    const byline = plan ? `${plan.title} · step ${item.step} of ${plan.steps.length}` : `scheduled by ${item.created_by}`;
    const held = item.change_request
      ? h("a", { href: `#/changes/${item.change_request}` }, ` · change request #${item.change_request}`)
      : null;
    return h(
      "li",
      { class: `timeline-item state-${item.state}`, id: `schedule-${item.id}`, dataset: { state: item.state } },
      h("span", { class: "timeline-dot", "aria-hidden": "true" }),
      h("time", { datetime: item.at, title: item.at }, when(item.at)),
      h(
        "div",
        { class: "timeline-what" },
        h("span", { class: "timeline-title" }, item.title),
        h("span", { class: "meta" }, byline, held, late),
        item.error ? h("span", { class: "meta warn" }, item.error) : null,
      ),
      h("span", { class: `badge state-${item.state}` }, item.state),
      !readOnly && !plan && !DONE.has(item.state)
        ? h("button", { type: "button", class: "link", id: `cancel-${item.id}`, onclick: () => cancel(item) }, "Cancel")
        : null,
    );
  }

  async function act(doing) {
    message.textContent = "";
    try {
      await doing();
    } catch (error) {
      message.textContent =
        error instanceof ChangeRequested ? `Held for approval: ${error.message}` : `Not done: ${error.message}`;
    }
    await show();
  }

  function cancel(item) {
    act(() => ctx.api.del(path("/schedules", String(item.id))));
  }

  function move(plan, verb) {
    const url = path("/release-plans", String(plan.id));
    act(() => (verb === "cancel" ? ctx.api.del(url) : ctx.api.post(`${url}/${verb}`)));
  }

  function fillEnvironments(select) {
    const chosen = select.value;
    select.replaceChildren(
      h("option", { value: "" }, "the flag's own"),
      ...environments.map((env) => h("option", { value: env }, env)),
    );
    select.value = chosen;
  }

  function scheduleForm() {
    const at = h("input", { type: "datetime-local", id: "schedule-at", required: true });
    at.value = localInput(new Date(Date.now() + 3600 * 1000));
    const env = h("select", { id: "schedule-env", dataset: { environments: "" } });
    const what = h(
      "select",
      { id: "schedule-what" },
      h("option", { value: "on" }, "Turn on"),
      h("option", { value: "off" }, "Turn off"),
      h("option", { value: "rollout" }, "Set rollout to"),
    );
    const percent = h("input", { type: "number", id: "schedule-percent", min: 0, max: 100, step: "any", value: 50 });
    const percentLabel = h("label", { class: "percent", hidden: true }, percent, " %");
    what.addEventListener("change", () => {
      percentLabel.hidden = what.value !== "rollout";
    });
    const form = h(
      "form",
      { class: "schedule-form", id: "schedule-form", onsubmit: submit },
      h("h3", {}, "Schedule a change"),
      h("label", {}, "When ", at),
      h("label", {}, "What ", what),
      percentLabel,
      h("label", {}, "In ", env),
      h("button", { type: "submit", class: "primary", id: "schedule-submit" }, "Schedule"),
    );
    function submit(event) {
      event.preventDefault();
      const environment = env.value || null;
      let change;
      if (what.value === "rollout") {
        const pct = Number(percent.value);
        change = environment
          ? { kind: "override", flag: name, fields: { environment, rollout_percentage: pct } }
          : { kind: "patch", flag: name, fields: { rollout_percentage: pct } };
      } else {
        change = { kind: "enable", flag: name, environment, enabled: what.value === "on" };
      }
      const instant = new Date(at.value).toISOString();
      act(() => ctx.api.post("/schedules", { at: instant, changes: [change] }));
    }
    return form;
  }

  function planForm() {
    const steps = h("input", { type: "text", id: "plan-steps", value: "5, 25, 50, 100", size: 14 });
    const every = h("input", { type: "number", id: "plan-every", min: 0.1, step: "any", value: 24 });
    const env = h("select", { id: "plan-env", dataset: { environments: "" } });
    const form = h(
      "form",
      { class: "schedule-form", id: "plan-form", onsubmit: submit },
      h("h3", {}, "Plan a rollout"),
      h("label", {}, "Steps (%) ", steps),
      h("label", {}, "every ", every, " hours"),
      h("label", {}, "In ", env),
      h("button", { type: "submit", id: "plan-submit" }, "Start plan"),
    );
    function submit(event) {
      event.preventDefault();
      const percentages = steps.value.split(/[\s,]+/).filter(Boolean).map(Number);
      const hours = Number(every.value);
      act(() =>
        ctx.api.post("/release-plans", {
          flag: name,
          environment: env.value || null,
          steps: percentages.map((rollout_percentage) => ({ after_hours: hours, rollout_percentage })),
        }),
      );
    }
    return form;
  }

  return { el, show };
}
