// A flag's page: everything that decides who gets what, edited as one draft and saved with
// PATCH /flags/{name} and the version it was read at (409: someone else saved first). Apps and
// clearing an override are saved at once (flag-at-once.js). Changes by others arrive over the change
// stream: taken in when nothing is being edited, announced with a "reload" notice when something is.
// Its usage (a chart per hour or day) and lifecycle (kind, owner, stale signals, archive and restore
// in flag-danger.js) are parts of the same page (docs/lifecycle.md, docs/flag-page.md). This module
// holds the draft and its saving; each part of the page is a module of its own (flag-*.js).

import { ChangeRequested, path } from "../api.js";
import { h, keepFocus } from "../dom.js";
import { changedFields, fromDoc, toFields } from "../flagdraft.js";
import { clearErrors, showApiError, showError } from "../forms.js";
import { impactPreview } from "./impact.js";
import { createAtOnce } from "./flag-at-once.js";
import { createDanger } from "./flag-danger.js";
import { conflictNotice, deletedNotice, requestedNotice } from "./flag-notices.js";
import { environmentTargetingSection, environmentsSection } from "./flag-environments.js";
import { lifecycleSection } from "./flag-lifecycle.js";
import { prerequisitesSection } from "./flag-prerequisites.js";
import { createCodeRefs, createHistory, createUnleashNote } from "./flag-panels.js";
import { protectedNote, saveBar } from "./flag-savebar.js";
import { aboutSection, appsSection, saltSection } from "./flag-settings.js";
import { flagSummary } from "./flag-summary.js";
import { allowlistSection, rulesSection } from "./flag-targeting.js";
import { variantsSection } from "./flag-variants.js";
import { createPlayground } from "./playground.js";
import { createSchedules } from "./flag-schedules.js";
import { createUsage } from "./flag-usage.js";

export function mount(main, ctx, { args: [name] }) {
  const readOnly = ctx.readOnly;
  let base = null;
  let baseFields = null;
  let draft = null;
  let environments = [];
  let busy = 0;
  let missedChange = false;
  let gone = false;
  let playground = null;
  let lastResult = null;

  const head = h("div", { class: "page-head sticky-head" });
  const notice = h("div", { class: "notice-slot" });
  const unleashNote = createUnleashNote(ctx, name);
  const form = h("form", { id: "flag-form", novalidate: true, onsubmit: onSave });
  const stateText = h("span", { class: "state", role: "status" });
  const formError = h("p", { class: "form-error", role: "alert" });
  const impact = impactPreview(ctx.api, path("/flags", name, "impact"), pendingBody);
  // What the parts written at once see of the page.
  const flag = {
    base: () => base,
    notice,
    form,
    formError,
    stateText,
    act,
    applyImmediate,
    protectedNote: (id, says) => protectedNote(ctx, environments, id, says),
    whileBusy,
    deleted,
  };
  const danger = createDanger(ctx, name, flag);
  const atOnce = createAtOnce(ctx, name, flag);
  const history = createHistory(ctx, name);
  const codeRefs = createCodeRefs(ctx, name);
  // Evaluations per hour or day, by environment, variant, source and app (GET /flags/{name}/usage).
  const usage = createUsage(ctx, name);
  // Scheduled changes and release plan steps as a timeline (docs/schedules.md).
  const schedules = createSchedules(ctx, name);
  const page = {
    get base() {
      return base;
    },
    /** GET /flags/{name}/stale's answer; null while loading, `{error}` if it failed. */
    stale: null,
    markStale: atOnce.markStale,
    flagNames: () => [...ctx.store.flags.keys()].sort(),
    isProtected: (env) => ctx.isProtected(env),
    segments: [],
    changed,
    rerender,
    clearOverride: atOnce.clearOverride,
    addApp: atOnce.addApp,
    removeApp: atOnce.removeApp,
  };

  main.append(
    h("p", { class: "crumbs" }, h("a", { href: "#/flags" }, "← All flags")),
    head,
    notice,
    unleashNote.el,
    form,
  );
  const unsubscribe = ctx.store.subscribe((names) => {
    if (names.includes(name)) onRemote();
  });
  load();
  return { unmount: unsubscribe, unsaved };

  async function load() {
    try {
      // The flag list too: the prerequisite picker offers the other flags' names.
      const [doc, envs] = await Promise.all([
        ctx.api.get(path("/flags", name)),
        ctx.environments,
        ctx.operators,
        ctx.flagsLoaded.catch(() => null),
      ]);
      environments = envs;
      setBase(doc);
    } catch (error) {
      head.replaceChildren(h("h1", {}, name));
      const text = error.status === 404 ? `There is no flag named ${name}.` : `Could not load ${name}: ${error.message}`;
      notice.replaceChildren(h("p", { class: "notice error", role: "alert" }, text));
      ctx.ready("flag");
      return;
    }
    playground = createPlayground(ctx, name, { environments, onResult: markDecidingRule });
    render();
    main.append(usage.el, schedules.el, playground.el, codeRefs.el, history.el);
    if (!readOnly) main.append(danger.el); // archive and delete: nothing a reader can do
    danger.render();
    codeRefs.show();
    usage.show(environments);
    schedules.show(environments);
    ctx.ready("flag");
    ctx.api.get("/segments").then(
      (body) => {
        page.segments = body.segments.map((s) => s.name);
      },
      () => {},
    );
  }

  function setBase(doc) {
    base = doc;
    unleashNote.show(doc);
    history.show();
    showStale();
    danger.showArchived();
    draft = fromDoc(doc, environments);
    baseFields = toFields(fromDoc(doc, environments)).fields;
    missedChange = false;
  }

  function render() {
    head.replaceChildren(flagSummary(ctx, name, base, environments));
    keepFocus(() => {
      form.replaceChildren(
        h(
          "fieldset",
          { disabled: readOnly || gone },
          h("legend", { class: "sr-only" }, `Settings of ${name}`),
          environmentsSection(draft, page),
          prerequisitesSection(draft, page),
          allowlistSection(draft, page),
          rulesSection(draft, page),
          environmentTargetingSection(draft, page),
          variantsSection(draft, page),
          aboutSection(draft, page),
          lifecycleSection(draft, page),
          appsSection(page),
          saltSection(draft, page),
          saveBar(ctx, environments, { readOnly, stateText, formError, impact, onDiscard: discard }),
        ),
      );
    });
    if (lastResult) markDecidingRule(lastResult);
    changed();
  }

  /** The stale signals, read again after each change (a change restarts some of them). */
  async function showStale() {
    try {
      page.stale = await ctx.api.get(path("/flags", name, "stale"));
    } catch (error) {
      page.stale = { error: error.message };
    }
    if (draft) keepFocus(() => {
      const old = document.getElementById("lifecycle");
      if (old) old.replaceWith(lifecycleSection(draft, page));
    });
  }

  /** Rebuild the form from the draft (rows added, removed or moved), focusing `focusId` if given. */
  function rerender(focusId) {
    render();
    if (focusId) {
      const target = document.getElementById(focusId);
      if (target) target.focus();
    }
  }

  function changed() {
    impact.stale();
    const { fields, errors } = toFields(draft);
    const keys = changedFields(baseFields, fields);
    const dirty = keys.length > 0 || errors.length > 0;
    stateText.className = dirty ? "state dirty" : "state";
    if (readOnly) stateText.textContent = "Read-only: your role lets you see this flag, not change it.";
    else if (gone) stateText.textContent = "This flag no longer exists.";
    else stateText.textContent = dirty ? `Unsaved changes${keys.length ? `: ${keys.join(", ")}` : ""}` : "No unsaved changes";
    return dirty;
  }

  /** What leaving the page would lose, in words ("" when nothing: see app.js). */
  function unsaved() {
    if (readOnly || gone || !draft || !isDirty()) return "";
    const keys = changedFields(baseFields, toFields(draft).fields);
    return `You have unsaved changes to ${name}${keys.length ? ` (${keys.join(", ")})` : ""}.`;
  }

  function isDirty() {
    const { fields, errors } = toFields(draft);
    return errors.length > 0 || changedFields(baseFields, fields).length > 0;
  }

  /** The PATCH body of the pending edit (without `version`), or null when there is none or it is invalid. */
  function pendingBody() {
    const { fields, errors } = toFields(draft);
    const keys = changedFields(baseFields, fields);
    if (errors.length || !keys.length) return null;
    const body = {};
    for (const key of keys) body[key] = fields[key];
    // Variants sent without default_variant would reset it to the first variant.
    if (body.variants) body.default_variant = fields.default_variant;
    return body;
  }

  async function onSave(event) {
    event.preventDefault();
    if (readOnly || gone) return;
    clearErrors(form);
    const { fields, errors } = toFields(draft);
    if (errors.length) {
      for (const error of errors) showError(form, error.path, error.message, formError);
      const invalid = form.querySelector("[aria-invalid]");
      if (invalid) invalid.focus();
      return;
    }
    const keys = changedFields(baseFields, fields);
    if (!keys.length) {
      stateText.textContent = "Nothing to save.";
      return;
    }
    const body = { ...pendingBody(), version: base.version };
    await act(
      () => ctx.api.patch(path("/flags", name), body),
      (doc) => {
        setBase(doc);
        render();
        stateText.textContent = `Saved (version ${doc.version}).`;
        if (playground) playground.refresh();
      },
      (error) => {
        if (error.status === 409 && /is at version/.test(error.message)) {
          showConflict("Not saved: someone else changed this flag after you opened it.");
        } else {
          showApiError(form, error, formError);
        }
      },
    );
  }

  /** Run a write; while it runs, changes from the stream wait (our own arrive there too). */
  async function act(request, done, failed) {
    busy += 1;
    try {
      const doc = await request();
      // The store holds the flags that are served: an archived one leaves it.
      if (doc.archived) ctx.store.remove(name);
      else ctx.store.upsert(doc);
      done(doc);
    } catch (error) {
      if (error instanceof ChangeRequested) showRequested(error.request);
      else failed(error);
    } finally {
      busy -= 1;
      if (busy === 0 && missedChange) onRemote();
    }
  }

  /** A write that changes from the stream wait for (as `act`), not followed by taking them in. */
  async function whileBusy(request) {
    busy += 1;
    try {
      return await request();
    } finally {
      busy -= 1;
    }
  }

  /** Deleted from this page: back to the list. */
  function deleted() {
    gone = true;
    ctx.store.remove(name);
    ctx.navigate("#/flags");
  }

  /** Apply a change saved at once (apps, clearing an override) without losing unsaved edits. */
  function applyImmediate(doc, keep) {
    if (!isDirty()) {
      setBase(doc);
    } else {
      const edited = draft;
      setBase(doc);
      draft = keep(edited, fromDoc(doc, environments));
    }
    render();
    if (playground) playground.refresh();
  }

  function onRemote() {
    if (!base) return;
    if (busy > 0) {
      missedChange = true;
      return;
    }
    missedChange = false;
    const doc = ctx.store.flags.get(name);
    if (!doc) {
      if (gone || base.archived) return;
      checkArchived();
      return;
    }
    if (doc.version <= base.version && doc.created_at === base.created_at) return; // ours, or older
    if (isDirty()) {
      showConflict(`Someone else changed this flag (now version ${doc.version}) while you were editing.`);
      return;
    }
    gone = false;
    setBase(doc);
    notice.replaceChildren();
    render();
    stateText.textContent = `Updated with a change made elsewhere (version ${doc.version}).`;
    if (playground) playground.refresh();
    schedules.show(); // a scheduled change or plan step that just applied
  }

  /** The flag left the served set: archived by someone else (then shown as such), or deleted. */
  async function checkArchived() {
    let doc = null;
    try {
      doc = await ctx.api.get(path("/flags", name));
    } catch {
      doc = null;
    }
    if (doc && doc.archived) {
      if (isDirty()) {
        showConflict(`Someone else archived this flag while you were editing.`);
        return;
      }
      setBase(doc);
      render();
      danger.render();
      stateText.textContent = "Archived elsewhere: this flag is no longer served.";
      return;
    }
    if (gone) return;
    gone = true;
    notice.replaceChildren(deletedNotice());
    render();
  }

  /**
   * The write became a change request (a protected environment): nothing changed, so the page shows
   * the flag as it is (the edit lives in the request) and says where the edit went.
   */
  function showRequested(request) {
    setBase(base);
    clearErrors(form);
    render();
    stateText.textContent = `Sent for approval as change request #${request.id}: nothing changed yet.`;
    const requested = requestedNotice(ctx, name, request);
    notice.replaceChildren(requested.el);
    requested.link.focus();
  }

  function showConflict(message) {
    notice.replaceChildren(conflictNotice(message, reloadFromServer));
  }

  async function reloadFromServer() {
    try {
      const doc = await ctx.api.get(path("/flags", name));
      ctx.store.upsert(doc);
      gone = false;
      setBase(doc);
      notice.replaceChildren();
      render();
      stateText.textContent = `Reloaded (version ${doc.version}).`;
      document.getElementById("flag-description").focus();
      if (playground) playground.refresh();
    } catch (error) {
      notice.replaceChildren(h("p", { class: "notice error", role: "alert" }, `Could not reload: ${error.message}`));
    }
  }

  function discard() {
    setBase(base);
    clearErrors(form);
    notice.replaceChildren();
    render();
    stateText.textContent = "Changes discarded.";
  }

  function markDecidingRule(answer) {
    lastResult = answer;
    for (const el of form.querySelectorAll(".rule.decided")) el.classList.remove("decided");
    if (answer.rule === null || answer.rule === undefined || isDirty()) return;
    const rule = form.querySelector(`.rule[data-path="rules.${answer.rule}"]`);
    if (rule) rule.classList.add("decided");
  }

}
