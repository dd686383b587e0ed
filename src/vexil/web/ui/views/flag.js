// A flag's page: everything that decides who gets what, edited as one draft and saved with
// PATCH /flags/{name} and the version it was read at (409: someone else saved first). Apps and
// clearing an override are saved at once. Changes by others arrive over the change stream: taken
// in when nothing is being edited, announced with a "reload" notice when something is. Its usage
// (a chart per hour or day) and lifecycle (kind, owner, stale signals, archive and restore) are
// parts of the same page (docs/lifecycle.md).

import { ChangeRequested, path, query } from "../api.js";
import { h, keepFocus, lockIcon } from "../dom.js";
import { changedFields, fromDoc, toFields } from "../flagdraft.js";
import { clearErrors, showApiError, showError } from "../forms.js";
import { stateOf } from "../store.js";
import { ago, setArchived } from "../lifecycle.js";
import { eventItem } from "./audit.js";
import { impactPreview } from "./impact.js";
import { environmentTargetingSection, environmentsSection } from "./flag-environments.js";
import { lifecycleSection } from "./flag-lifecycle.js";
import { prerequisitesSection } from "./flag-prerequisites.js";
import { jumpTo } from "./flag-section.js";
import { aboutSection, appsSection, saltSection } from "./flag-settings.js";
import { allowlistSection, rulesSection } from "./flag-targeting.js";
import { variantsSection } from "./flag-variants.js";
import { confirmButton } from "./confirm.js";
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
  // Where Unleash SDKs do not get this flag, and why (GET /flags/{name}/unleash, docs/unleash.md).
  const unleashNote = h("div", { class: "unleash-slot" });
  const form = h("form", { id: "flag-form", novalidate: true, onsubmit: onSave });
  const stateText = h("span", { class: "state", role: "status" });
  const formError = h("p", { class: "form-error", role: "alert" });
  const impact = impactPreview(ctx.api, path("/flags", name, "impact"), pendingBody);
  const danger = h("section", { class: "card", "aria-labelledby": "danger-title" });
  // The last changes to this flag, from the audit log (refreshed after each change).
  const history = h("section", { class: "card", "aria-labelledby": "history-title", id: "history", tabindex: "-1" });
  // Where the flag is named in code, from the latest `vexil refs --upload` of each repository and
  // branch (GET /flags/{name}/code-refs, docs/code-refs.md).
  const codeRefs = h("section", { class: "card", "aria-labelledby": "code-refs-title", id: "code-refs" });
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
    markStale,
    flagNames: () => [...ctx.store.flags.keys()].sort(),
    isProtected: (env) => ctx.isProtected(env),
    segments: [],
    changed,
    rerender,
    clearOverride,
    addApp,
    removeApp,
  };

  main.append(
    h("p", { class: "crumbs" }, h("a", { href: "#/flags" }, "← All flags")),
    head,
    notice,
    unleashNote,
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
    main.append(usage.el, schedules.el, playground.el, codeRefs, history);
    if (!readOnly) main.append(danger); // archive and delete: nothing a reader can do
    renderDanger();
    showCodeRefs();
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

  async function showUnleash() {
    let left = [];
    try {
      const body = await ctx.api.get(path("/flags", name, "unleash"));
      left = body.environments.filter((item) => !item.served);
    } catch {
      left = [];
    }
    const where = (item) => (item.environment === null ? "for tokens of no environment" : `in ${item.environment}`);
    unleashNote.replaceChildren(
      ...(left.length
        ? [
            h(
              "div",
              { class: "notice unleash", role: "note", id: "unleash-note" },
              h("strong", {}, "Left out of the Unleash client API"),
              h("ul", {}, ...left.map((item) => h("li", {}, `${where(item)}: ${item.reason}`))),
            ),
          ]
        : []),
    );
  }

  function setBase(doc) {
    base = doc;
    if (doc.archived) unleashNote.replaceChildren(); // served nowhere: nothing to explain
    else showUnleash();
    showHistory();
    showStale();
    showArchived();
    draft = fromDoc(doc, environments);
    baseFields = toFields(fromDoc(doc, environments)).fields;
    missedChange = false;
  }

  function render() {
    head.replaceChildren(summary());
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
          h(
            "div",
            { class: "savebar" },
            stateText,
            readOnly ? null : approvalNote(),
            readOnly ? null : h("button", { type: "button", id: "discard", onclick: discard }, "Discard changes"),
            readOnly ? null : impact.button,
            readOnly ? null : h("button", { type: "submit", class: "primary", id: "save" }, saveLabel()),
            formError,
            impact.panel,
          ),
        ),
      );
    });
    if (lastResult) markDecidingRule(lastResult);
    changed();
  }

  /** For an editor, "production is protected: " and what `says(one)` (one: a single environment);
   * nothing for an admin, or where no environment is protected. */
  function protectedNote(id, says) {
    const guarded = environments.filter((env) => ctx.isProtected(env));
    if (!ctx.needsApproval || !guarded.length) return null;
    const one = guarded.length === 1;
    return h("p", { class: "approval-note", id }, lockIcon("Protected"), ` ${guarded.join(", ")} ${one ? "is" : "are"} protected: ${says(one)}`);
  }

  /** For an editor, where saving needs approval (protected environments). */
  function approvalNote() {
    return protectedNote(
      "save-needs-approval",
      (one) => `a change that affects ${one ? "it" : "them"} is sent for approval as a change request, and applies once someone else approves it.`,
    );
  }

  function saveLabel() {
    return ctx.needsApproval && environments.some((env) => ctx.isProtected(env)) ? "Save or request approval" : "Save";
  }

  /** The sticky head: the flag, its saved state in each environment, and links to the parts of the page. */
  function summary() {
    const chips = environments.map((env) => {
      const state = stateOf(base, env);
      return h(
        "li",
        {
          class: `chip ${state.key}`,
          dataset: { chip: env, state: state.key, protected: ctx.isProtected(env) ? "" : undefined },
          title: ctx.isProtected(env) ? `${state.detail}; protected: changes here need approval` : state.detail,
        },
        h("span", { class: "chip-env" }, ctx.isProtected(env) ? lockIcon("Protected: changes here need approval") : null, env),
        h("span", { class: "chip-state" }, state.label),
      );
    });
    const parts = [
      ["environments", "Targeting"],
      ["variants", "Variants"],
      ["about", "Settings"],
      ["lifecycle", "Lifecycle"],
      ["usage", "Usage"],
      ["schedule", "Schedule"],
      ["playground", "Playground"],
      ["history", "History"],
    ];
    return h(
      "div",
      { class: "flag-summary" },
      h(
        "div",
        { class: "summary-top" },
        h("h1", { class: "flag-name" }, name),
        base.archived ? h("span", { class: "badge archived", id: "archived-badge" }, "Archived") : null,
        base.archived ? null : h("ul", { class: "chips", "aria-label": "State in each environment (saved)" }, chips),
      ),
      h(
        "nav",
        { class: "flag-nav", "aria-label": "Parts of this flag" },
        parts.map(([id, text]) => h("a", { href: `#${id}`, dataset: { part: id }, onclick: jumpTo(id) }, text)),
        h("span", { class: "meta" }, `version ${base.version} · updated ${new Date(base.updated_at).toLocaleString()}`),
      ),
    );
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

  /** An archived flag's page says so first, and offers Restore. */
  function showArchived() {
    const old = document.getElementById("archived-note");
    if (!base.archived) {
      if (old) old.remove();
      return;
    }
    const error = h("p", { class: "form-error", role: "alert" });
    const restore = h("button", { type: "button", class: "primary", id: "flag-restore" }, "Restore");
    restore.addEventListener("click", () => archive(false).catch((failure) => (error.textContent = failure.message)));
    restore.disabled = readOnly;
    const note = h(
      "div",
      { class: "notice archived-note", id: "archived-note", role: "note" },
      h("div", {}, h("strong", {}, "This flag is archived."), " Every evaluation answers as for a flag that does not exist. Its configuration and history are kept; Restore serves it again as it was."),
      restore,
      error,
    );
    if (old) old.replaceWith(note);
    else notice.before(note);
  }

  /** Archive or restore; rejects with the API's error (shown by the button that asked). */
  async function archive(archived) {
    let failure = null;
    await act(
      () => setArchived(ctx.api, name, archived),
      (doc) => {
        applyImmediate(doc, (edited) => edited);
        renderDanger();
        stateText.textContent = archived ? `Archived: ${name} is no longer served.` : `Restored: ${name} is served again.`;
        const focus = document.getElementById(archived ? "flag-restore" : "flag-archive");
        if (focus) focus.focus();
      },
      (error) => {
        failure = error;
      },
    );
    if (failure) throw failure;
  }

  function markStale(stale) {
    act(
      () => ctx.api.patch(path("/flags", name), { stale, version: base.version }),
      (doc) => {
        applyImmediate(doc, (edited) => edited);
        const again = document.getElementById(stale ? "flag-not-stale" : "flag-mark-stale");
        if (again) again.focus();
        stateText.textContent = stale ? `${name} is marked stale.` : `${name} is no longer marked stale.`;
      },
      (error) => showError(form, "stale", error.message, formError),
    );
  }

  async function showHistory() {
    const all = h("a", { href: `#/audit?flag=${encodeURIComponent(name)}` }, "Full history");
    const headRow = h("div", { class: "section-head" }, h("h2", { id: "history-title" }, "History"), all);
    try {
      const body = await ctx.api.get(`/audit${query({ flag: name, limit: 10 })}`);
      history.replaceChildren(
        headRow,
        body.events.length
          ? h("div", { class: "history-events" }, body.events.map(eventItem))
          : h("p", { class: "hint" }, "No changes yet."),
      );
    } catch (error) {
      history.replaceChildren(headRow, h("p", { class: "notice error" }, `Could not load the history: ${error.message}`));
    }
  }

  async function showCodeRefs() {
    const title = h("h2", { id: "code-refs-title" }, "Code references");
    try {
      const body = await ctx.api.get(path("/flags", name, "code-refs"));
      codeRefs.replaceChildren(
        title,
        ...(body.code_refs.length
          ? body.code_refs.map(codeRefsOf)
          : [h("p", { class: "hint" }, "No uploaded scan names this flag. Run vexil refs --upload in a repository.")]),
      );
    } catch (error) {
      codeRefs.replaceChildren(title, h("p", { class: "notice error" }, `Could not load the code references: ${error.message}`));
    }
  }

  /** One repository and branch: where it was scanned, then each file and line with the line's text. */
  function codeRefsOf(scan) {
    const when = new Date(scan.uploaded_at).toLocaleString();
    return h(
      "div",
      { class: "code-refs" },
      h(
        "h3",
        {},
        `${scan.repository} · ${scan.branch} `,
        h("span", { class: "meta" }, `${scan.commit.slice(0, 12)} · scanned ${when}`),
      ),
      h(
        "ul",
        {},
        ...scan.references.map((ref) =>
          h("li", {}, h("span", { class: "code-ref-where" }, `${ref.path}:${ref.line}`), " ", h("code", {}, ref.text)),
        ),
      ),
    );
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

  function clearOverride(env) {
    act(
      () => ctx.api.del(path("/flags", name, "environments", env)),
      (doc) => {
        applyImmediate(doc, (edited, fresh) => ({
          ...edited,
          environments: { ...edited.environments, [env]: fresh.environments[env] },
        }));
        const select = document.getElementById(`env-${env}-enabled`);
        if (select) select.focus();
        stateText.textContent = `The ${env} override is cleared: ${env} inherits the default.`;
      },
      (error) => showError(form, `environments.${env}`, error.message, formError),
    );
  }

  function addApp(app) {
    clearErrors(form);
    if (!app) {
      showError(form, "app_name", "Enter an app name.");
      return;
    }
    act(
      () => ctx.api.post(path("/flags", name, "apps"), { app_name: app }),
      (doc) => {
        applyImmediate(doc, (edited) => edited);
        const input = document.getElementById("app-name");
        if (input) input.focus();
      },
      (error) => {
        showError(form, "app_name", error.message);
        document.getElementById("app-name").focus();
      },
    );
  }

  function removeApp(app) {
    act(
      () => ctx.api.del(path("/flags", name, "apps", app)),
      (doc) => {
        applyImmediate(doc, (edited) => edited);
        const input = document.getElementById("app-name");
        if (input) input.focus();
      },
      (error) => showError(form, "app_name", error.message),
    );
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
      renderDanger();
      stateText.textContent = "Archived elsewhere: this flag is no longer served.";
      return;
    }
    if (gone) return;
    gone = true;
    notice.replaceChildren(
      h(
        "p",
        { class: "notice error", role: "alert" },
        "This flag was deleted by someone else. ",
        h("a", { href: "#/flags" }, "Back to the flags"),
      ),
    );
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
    const link = h("a", { href: `#/changes/${request.id}`, id: "requested-link" }, `Open change request #${request.id}`);
    notice.replaceChildren(
      h(
        "div",
        { class: "notice requested", role: "alert", id: "requested" },
        h("strong", {}, `Change request #${request.id} created.`),
        ` ${guardedIn(request)} protected, so your change waits for approval by someone else; ${name} is unchanged until it is approved and applied. `,
        link,
      ),
    );
    link.focus();
  }

  function guardedIn(request) {
    const guarded = request.environments.filter((env) => ctx.isProtected(env));
    if (!guarded.length) return "A protected environment is";
    return `${guarded.join(", ")} ${guarded.length > 1 ? "are" : "is"}`;
  }

  function showConflict(message) {
    const reload = h("button", { type: "button", id: "reload", onclick: reloadFromServer }, "Reload");
    notice.replaceChildren(
      h(
        "div",
        { class: "notice", role: "alert", id: "conflict" },
        message,
        " Reload to see the current version (your unsaved changes are discarded).",
        reload,
      ),
    );
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

  /** Archiving and deleting cannot wait in a change request: where an environment is protected,
   * only an admin does them (docs/change-requests.md). */
  function adminOnlyNote() {
    return protectedNote("danger-admin-only", () => "only an admin can archive or delete this flag.");
  }

  function renderDanger() {
    const archived = base.archived;
    const adminOnly = adminOnlyNote();
    danger.replaceChildren(
      h("h2", { id: "danger-title" }, "Archive or delete"),
      h(
        "p",
        { class: "hint" },
        "Archiving stops serving the flag everywhere but keeps its configuration and history, and can be undone. Deleting cannot.",
      ),
      ...(adminOnly ? [adminOnly] : []),
      h(
        "div",
        { class: "danger-actions" },
        archived
        ? h("p", { class: "hint" }, "This flag is archived: restore it from the top of the page.")
        : confirmButton({
            id: "flag-archive",
            label: "Archive flag…",
            question: `Archive ${name}? Every evaluation will answer as for a flag that does not exist, until it is restored. Its configuration and history are kept.`,
            confirmLabel: `Archive ${name}`,
            disabled: readOnly || Boolean(adminOnly),
            action: () => archive(true),
          }),
      confirmButton({
        id: "flag-delete",
        label: "Delete flag…",
        question: `Delete ${name}, with its overrides and app scopes? This cannot be undone.`,
        confirmLabel: `Delete ${name}`,
        disabled: readOnly || Boolean(adminOnly),
        action: async () => {
          busy += 1;
          try {
            await ctx.api.del(path("/flags", name));
          } finally {
            busy -= 1;
          }
          gone = true;
          ctx.store.remove(name);
          ctx.navigate("#/flags");
        },
      }),
      ),
    );
  }
}
