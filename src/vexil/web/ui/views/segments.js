// Segments: reusable condition lists that rules refer to by name. The list with a create form
// (#/segments) and one segment's editor (#/segments/NAME); deleting one in use is refused (409).

import { path } from "../api.js";
import { h } from "../dom.js";
import { conditionDraft, conditionFromDraft, conditionsEditor, takesSegment } from "../conditions.js";
import { canonical } from "../flagdraft.js";
import { clearErrors, showApiError, showError } from "../forms.js";
import { confirmButton } from "./confirm.js";
import { impactPreview } from "./impact.js";

export function mount(main, ctx, { args }) {
  return args.length ? mountOne(main, ctx, args[0]) : mountList(main, ctx);
}

function mountList(main, ctx) {
  const body = h("div", {}, h("p", { class: "loading" }, "Loading…"));
  const name = h("input", { id: "new-segment-name", autocomplete: "off", spellcheck: "false", placeholder: "beta_users" });
  const description = h("input", { id: "new-segment-description", autocomplete: "off" });
  const form = h(
    "form",
    { class: "card", novalidate: true, onsubmit: onCreate },
    h("h2", {}, "New segment"),
    h(
      "fieldset",
      { disabled: ctx.readOnly },
      h("legend", { class: "sr-only" }, "New segment"),
      h(
        "div",
        { class: "row" },
        h("div", { class: "field", dataset: { path: "name" } }, h("label", { for: name.id }, "Name"), name),
        h(
          "div",
          { class: "field grow", dataset: { path: "description" } },
          h("label", { for: description.id }, "Description"),
          description,
        ),
        h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Create segment")),
      ),
      h("p", { class: "form-error", role: "alert" }),
    ),
  );
  main.append(
    h("div", { class: "page-head" }, h("h1", {}, "Segments"), h("p", { class: "meta" }, "Used by rules with in_segment.")),
    form,
    body,
  );
  const unsubscribe = ctx.store.subscribeSegments((segments) => show(segments));
  Promise.all([ctx.api.get("/segments"), ctx.flagsLoaded.catch(() => null), ctx.operators]).then(
    ([answer]) => {
      show(answer.segments);
      ctx.ready("segments");
    },
    (error) => {
      body.replaceChildren(h("p", { class: "notice error", role: "alert" }, `Could not load segments: ${error.message}`));
      ctx.ready("segments");
    },
  );
  return { unmount: unsubscribe };

  function show(segments) {
    if (!segments.length) {
      body.replaceChildren(h("p", { class: "empty" }, "No segments yet."));
      return;
    }
    const rows = [...segments]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((segment) =>
        h(
          "tr",
          { dataset: { name: segment.name } },
          h("th", { scope: "row" }, h("a", { href: `#/segments/${encodeURIComponent(segment.name)}` }, segment.name)),
          h("td", { "data-label": "Description" }, segment.description),
          h("td", { "data-label": "Conditions" }, String(segment.conditions.length)),
          h("td", { "data-label": "Used by" }, usersOf(ctx, segment.name).join(", ") || "—"),
        ),
      );
    body.replaceChildren(
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { id: "segments-table", class: "cards" },
          h("thead", {}, h("tr", {}, ["Segment", "Description", "Conditions", "Used by"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, rows),
        ),
      ),
    );
  }

  async function onCreate(event) {
    event.preventDefault();
    clearErrors(form);
    if (!name.value.trim()) {
      showError(form, "name", "Enter a name.");
      name.focus();
      return;
    }
    try {
      const segment = await ctx.api.post("/segments", {
        name: name.value.trim(),
        description: description.value,
        conditions: [],
      });
      ctx.navigate(`#/segments/${encodeURIComponent(segment.name)}`);
    } catch (error) {
      showApiError(form, error.status === 409 ? { path: "name", message: error.message } : error);
    }
  }
}

/** The flags whose rules (their own or an environment's) name the segment. */
function usersOf(ctx, name) {
  const users = [];
  for (const doc of ctx.store.flags.values()) {
    const ruleSets = [doc.rules, ...Object.values(doc.environments).map((o) => o.rules || [])];
    const uses = ruleSets.some((rules) =>
      rules.some((rule) => rule.conditions.some((c) => takesSegment(c.operator) && c.value === name)),
    );
    if (uses) users.push(doc.name);
  }
  return users.sort();
}

function mountOne(main, ctx, name) {
  let base = null;
  let draft = null;
  let gone = false; // deleted, here or elsewhere: nothing left to save
  const head = h("div", { class: "page-head" }, h("h1", { class: "flag-name" }, name));
  const notice = h("div", {});
  const form = h("form", { id: "segment-form", novalidate: true, onsubmit: onSave });
  const state = h("span", { class: "state", role: "status" });
  // What the pending edit would flip among recent users (docs/impact.md), sent as Save would send it.
  const impact = impactPreview(ctx.api, path("/segments", name, "impact"), () => {
    const { fields: body, errors } = fields();
    return errors.length || !isDirty() ? null : body;
  }, { nameFlags: true });
  const danger = h("section", { class: "card", "aria-labelledby": "segment-danger" });
  main.append(h("p", { class: "crumbs" }, h("a", { href: "#/segments" }, "← All segments")), head, notice, form, danger);
  const unsubscribe = ctx.store.subscribeSegments(onRemote);
  load();
  return { unmount: unsubscribe, unsaved };

  async function load() {
    try {
      const [segment] = await Promise.all([
        ctx.api.get(path("/segments", name)),
        ctx.flagsLoaded.catch(() => null),
        ctx.operators,
      ]);
      setBase(segment);
    } catch (error) {
      const text = error.status === 404 ? `There is no segment named ${name}.` : error.message;
      notice.replaceChildren(h("p", { class: "notice error", role: "alert" }, text));
      ctx.ready("segment");
      return;
    }
    render();
    ctx.ready("segment");
  }

  function setBase(segment) {
    base = segment;
    draft = { description: segment.description, conditions: segment.conditions.map(conditionDraft) };
  }

  function fields() {
    const errors = [];
    const conditions = draft.conditions.map((condition, index) => {
      const parsed = conditionFromDraft(condition);
      if (parsed.error) errors.push({ path: `conditions.${index}.value`, message: parsed.error });
      return parsed.condition || null;
    });
    return { fields: { description: draft.description, conditions }, errors };
  }

  function isDirty() {
    const { errors } = fields();
    return errors.length > 0 || changedFields().length > 0;
  }

  /** The fields whose draft differs from what is saved (a condition being typed counts). */
  function changedFields() {
    const { fields: now, errors } = fields();
    const changed = [];
    if (now.description !== base.description) changed.push("description");
    if (errors.length || canonical(now.conditions) !== canonical(base.conditions)) changed.push("conditions");
    return changed;
  }

  /** What leaving the page would lose, in words ("" when nothing: see app.js). */
  function unsaved() {
    if (ctx.readOnly || gone || !base || !isDirty()) return "";
    return `You have unsaved changes to the segment ${name} (${changedFields().join(", ")}).`;
  }

  function changed() {
    impact.stale();
    const dirty = isDirty();
    state.className = dirty ? "state dirty" : "state";
    state.textContent = ctx.readOnly ? "Read-only." : dirty ? "Unsaved changes" : "No unsaved changes";
  }

  function render() {
    head.replaceChildren(
      h("h1", { class: "flag-name" }, name),
      h("p", { class: "meta" }, `version ${base.version} · used by ${usersOf(ctx, name).join(", ") || "no flag"}`),
    );
    const description = h("textarea", { id: "segment-description", rows: 2, value: draft.description });
    description.addEventListener("input", () => {
      draft.description = description.value;
      changed();
    });
    form.replaceChildren(
      h(
        "fieldset",
        { disabled: ctx.readOnly },
        h("legend", { class: "sr-only" }, `Segment ${name}`),
        h(
          "section",
          { class: "card" },
          h("div", { class: "field", dataset: { path: "description" } }, h("label", { for: description.id }, "Description"), description),
          h("h2", {}, "Conditions"),
          h("p", { class: "hint" }, "All must match (AND)."),
          conditionsEditor(draft.conditions, { path: "conditions", idPrefix: "seg-cond", onChange: changed }),
        ),
        h(
          "div",
          { class: "savebar" },
          state,
          ctx.readOnly ? null : impact.button,
          h("button", { type: "submit", class: "primary", id: "segment-save" }, "Save"),
          h("p", { class: "form-error", role: "alert" }),
          impact.panel,
        ),
      ),
    );
    danger.replaceChildren(
      h("h2", { id: "segment-danger" }, "Delete"),
      confirmButton({
        id: "segment-delete",
        label: "Delete segment…",
        question: `Delete the segment ${name}? A segment that a flag uses cannot be deleted.`,
        confirmLabel: `Delete ${name}`,
        disabled: ctx.readOnly,
        action: async () => {
          await ctx.api.del(path("/segments", name));
          gone = true;
          ctx.navigate("#/segments");
        },
      }),
    );
    changed();
  }

  async function onSave(event) {
    event.preventDefault();
    if (ctx.readOnly) return;
    clearErrors(form);
    const { fields: body, errors } = fields();
    if (errors.length) {
      for (const error of errors) showError(form, error.path, error.message);
      const invalid = form.querySelector("[aria-invalid]");
      if (invalid) invalid.focus();
      return;
    }
    try {
      const segment = await ctx.api.patch(path("/segments", name), { ...body, version: base.version });
      setBase(segment);
      notice.replaceChildren();
      render();
      state.textContent = `Saved (version ${segment.version}).`;
    } catch (error) {
      if (error.status === 409 && /is at version/.test(error.message)) {
        conflict("Not saved: someone else changed this segment after you opened it.");
      } else {
        showApiError(form, error);
      }
    }
  }

  function onRemote(segments) {
    if (!base) return;
    const segment = segments.find((s) => s.name === name);
    if (!segment) {
      gone = true;
      notice.replaceChildren(h("p", { class: "notice error", role: "alert" }, "This segment was deleted by someone else."));
      return;
    }
    if (segment.version <= base.version) return;
    if (isDirty()) {
      conflict(`Someone else changed this segment (now version ${segment.version}).`);
      return;
    }
    setBase(segment);
    render();
    state.textContent = `Updated with a change made elsewhere (version ${segment.version}).`;
  }

  function conflict(message) {
    notice.replaceChildren(
      h(
        "div",
        { class: "notice", role: "alert", id: "conflict" },
        message,
        " Reload to see the current version (your unsaved changes are discarded).",
        h(
          "button",
          {
            type: "button",
            onclick: async () => {
              setBase(await ctx.api.get(path("/segments", name)));
              notice.replaceChildren();
              render();
            },
          },
          "Reload",
        ),
      ),
    );
  }
}
