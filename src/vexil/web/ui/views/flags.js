// The flags list: search and filters, each flag's state in every environment at a glance, inline
// toggles, and a form to create a flag. Rows are built as one HTML string (500 flags render in a
// few milliseconds) and patched one by one when the change stream reports a flag. Each row also
// shows the flag's last 7 days of evaluations and when it was last seen (GET /usage), and a badge
// when it may be stale (GET /cleanup); the "Archived" choice lists the archived flags instead.

import { ChangeRequested, path, query } from "../api.js";
import { sparkline } from "../charts.js";
import { ask, toast } from "../dialog.js";
import { LOCK_SVG, esc, h } from "../dom.js";
import { clearErrors, showError } from "../forms.js";
import { ago, kindLabel, setArchived } from "../lifecycle.js";
import { effectiveEnabled, stateOf } from "../store.js";

const FILTERS = ["q", "tag", "app", "env", "state", "show"];

export function mount(main, ctx, { params }) {
  const filters = Object.fromEntries(FILTERS.map((key) => [key, params.get(key) || ""]));
  const readOnly = ctx.readOnly;
  let environments = [];
  const rows = new Map();
  const pending = new Map(); // "name\0env" -> the toggle under way
  let optionsSignature = "";
  // Per flag: {total, last_seen, daily} (GET /usage), and "ready" or "stale" (GET /cleanup).
  let usage = {};
  const stale = new Map();

  const count = h("p", { class: "count", "aria-live": "polite" });
  const status = h("p", { class: "status", role: "status" });
  const search = h("input", { id: "flag-search", type: "search", value: filters.q, autocomplete: "off" });
  const tagSelect = h("select", { id: "filter-tag" });
  const appSelect = h("select", { id: "filter-app" });
  const envSelect = h("select", { id: "filter-env" });
  const stateSelect = h(
    "select",
    { id: "filter-state", value: filters.state },
    h("option", { value: "" }, "Any"),
    h("option", { value: "on" }, "On"),
    h("option", { value: "off" }, "Off"),
  );
  const showSelect = h(
    "select",
    { id: "filter-show", value: filters.show },
    h("option", { value: "" }, "Active flags"),
    h("option", { value: "stale" }, "Stale only"),
    h("option", { value: "archived" }, "Archived flags"),
  );
  const thead = h("thead");
  const tbody = h("tbody", { onclick: onTableClick });
  const table = h("table", { class: "flags", id: "flags-table" }, h("caption", { class: "sr-only" }, "Flags"), thead, tbody);
  const empty = h("p", { class: "empty", hidden: true });
  const legend = h(
    "p",
    { class: "legend" },
    h("span", { class: "toggle on sample" }, "On"),
    " set for the environment (override)  ",
    h("span", { class: "toggle on inherited sample" }, "On"),
    " inherited from the flag's default  ",
    h("span", { class: "toggle on partial sample" }, "25%"),
    " a share of users  ",
    h("span", { class: "toggle on targeted sample" }, "Targeted"),
    " 0 %: only its allowlist and rules  ",
    h("span", { class: "toggle off sample" }, "Off"),
    " disabled",
  );
  const activeList = h("div", { class: "table-wrap" }, table);
  const archivedList = h("div", { id: "archived-list", hidden: true });

  const createForm = buildCreateForm();
  main.append(
    h("div", { class: "page-head" }, h("h1", {}, "Flags"), count),
    createForm,
    h(
      "form",
      { class: "filters", role: "search", onsubmit: (e) => e.preventDefault(), oninput: onFilter, onchange: onFilter },
      labelled("Search", search),
      labelled("Tag", tagSelect),
      labelled("App", appSelect),
      labelled("Environment", envSelect),
      labelled("State", stateSelect),
      labelled("Show", showSelect),
    ),
    legend,
    status,
    activeList,
    empty,
    archivedList,
  );

  const unsubscribe = ctx.store.subscribe(onChanged);
  load();

  return {
    unmount() {
      unsubscribe();
    },
  };

  async function load() {
    const lifecycle = loadLifecycle();
    try {
      environments = await ctx.environments;
      await ctx.flagsLoaded;
    } catch (error) {
      status.textContent = `Could not load the flags: ${error.message}`;
      ctx.ready("flags");
      return;
    }
    await lifecycle;
    renderHead();
    renderOptions();
    const docs = [...ctx.store.flags.values()].sort(byName);
    tbody.innerHTML = docs.map(rowHtml).join("");
    for (const tr of tbody.rows) rows.set(tr.dataset.name, tr);
    applyFilters();
    if (filters.show === "archived") await showArchived();
    ctx.ready("flags");
  }

  /** Usage and stale status: the list shows without them if either cannot be read. */
  async function loadLifecycle() {
    const [counted, cleanup] = await Promise.allSettled([ctx.api.get("/usage"), ctx.api.get("/cleanup")]);
    if (counted.status === "fulfilled") usage = counted.value.flags;
    if (cleanup.status === "fulfilled") {
      for (const item of cleanup.value.ready_to_remove) stale.set(item.flag, "ready");
      for (const item of cleanup.value.potentially_stale) stale.set(item.flag, "stale");
    }
  }

  /** The archived flags (GET /flags?archived=true), each with Restore. */
  async function showArchived() {
    archivedList.replaceChildren(h("p", { class: "loading" }, "Loading…"));
    let docs;
    try {
      docs = (await ctx.api.get(`/flags${query({ archived: true })}`)).flags;
    } catch (error) {
      archivedList.replaceChildren(h("p", { class: "notice error" }, `Could not load the archived flags: ${error.message}`));
      return;
    }
    count.textContent = `${docs.length} archived flag${docs.length === 1 ? "" : "s"}`;
    if (!docs.length) {
      archivedList.replaceChildren(h("p", { class: "empty" }, "No archived flags. Archive a flag from its page or from Cleanup."));
      return;
    }
    const rowOf = (doc) => {
      const restore = h(
        "button",
        { type: "button", "data-restore": doc.name, "aria-label": `Restore ${doc.name}`, disabled: readOnly },
        "Restore",
      );
      const tr = h(
        "tr",
        { dataset: { name: doc.name } },
        h(
          "th",
          { scope: "row", "data-label": "Flag" },
          h("a", { class: "flag-name", href: `#/flags/${encodeURIComponent(doc.name)}` }, doc.name),
          doc.description ? h("span", { class: "desc" }, doc.description) : null,
        ),
        h("td", { "data-label": "Kind" }, h("span", { class: "badge kind" }, kindLabel(doc.kind))),
        h("td", { "data-label": "Owner" }, doc.owner || h("span", { class: "hint" }, "none")),
        h("td", { "data-label": "Archived" }, h("time", { datetime: doc.updated_at, title: doc.updated_at }, ago(doc.updated_at))),
        h("td", { class: "row-actions" }, restore),
      );
      restore.addEventListener("click", async () => {
        restore.disabled = true;
        try {
          const restored = await setArchived(ctx.api, doc.name, false);
          ctx.store.upsert(restored);
          tr.remove();
          status.className = "status";
          status.textContent = `${doc.name} is restored and served again.`;
        } catch (error) {
          status.className = "status error";
          status.textContent = `Could not restore ${doc.name}: ${error.message}`;
          restore.disabled = false;
        }
      });
      return tr;
    };
    archivedList.replaceChildren(
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "flags cards", id: "archived-table" },
          h("caption", { class: "sr-only" }, "Archived flags"),
          h("thead", {}, h("tr", {}, ["Flag", "Kind", "Owner", "Archived", ""].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, docs.map(rowOf)),
        ),
      ),
    );
  }

  function buildCreateForm() {
    const name = h("input", {
      id: "new-flag-name",
      name: "name",
      autocomplete: "off",
      spellcheck: "false",
      placeholder: "new_checkout",
      required: true,
    });
    const description = h("input", { id: "new-flag-description", name: "description", autocomplete: "off" });
    const form = h(
      "form",
      { class: "create card", novalidate: true, onsubmit: onCreate },
      h("h2", {}, "New flag"),
      h(
        "fieldset",
        { disabled: readOnly },
        h("legend", { class: "sr-only" }, "New flag"),
        h(
          "div",
          { class: "row" },
          h(
            "div",
            { class: "field", dataset: { path: "name" } },
            h("label", { for: name.id }, "Name"),
            name,
            h("p", { class: "hint" }, "Lowercase letters, digits, _ . -"),
          ),
          h(
            "div",
            { class: "field grow", dataset: { path: "description" } },
            h("label", { for: description.id }, "Description"),
            description,
          ),
          h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Create flag")),
        ),
        h("p", { class: "form-error", role: "alert" }),
      ),
    );

    async function onCreate(event) {
      event.preventDefault();
      clearErrors(form);
      const body = { name: name.value.trim(), description: description.value };
      if (!body.name) {
        showError(form, "name", "Enter a name.");
        name.focus();
        return;
      }
      try {
        const doc = await ctx.api.post("/flags", body);
        ctx.store.upsert(doc);
        ctx.navigate(`#/flags/${encodeURIComponent(doc.name)}`);
      } catch (error) {
        const at = error.status === 409 ? "name" : error.path;
        showError(form, at, error.message);
        const invalid = form.querySelector("[aria-invalid]");
        if (invalid) invalid.focus();
      }
    }
    return form;
  }

  function renderHead() {
    const cells = [
      `<th scope="col">Flag</th>`,
      `<th scope="col" class="usage">Last 7 days</th>`,
      `<th scope="col" class="seen">Last seen</th>`,
      `<th scope="col" data-env="">Default</th>`,
    ];
    for (const env of environments) {
      const approvals = ctx.store.protected.get(env);
      const lock =
        approvals === undefined
          ? ""
          : ` <span class="lock-icon" role="img" aria-label="protected" title="Protected: a change here needs ${approvals} approval${approvals === 1 ? "" : "s"} (admins apply at once)">${LOCK_SVG}</span>`;
      cells.push(`<th scope="col" data-env="${esc(env)}"${approvals === undefined ? "" : " data-protected"}>${esc(env)}${lock}</th>`);
    }
    thead.innerHTML = `<tr>${cells.join("")}</tr>`;
  }

  function renderOptions() {
    const tags = new Set();
    const apps = new Set();
    for (const doc of ctx.store.flags.values()) {
      for (const tag of doc.tags) tags.add(tag);
      for (const app of doc.apps) apps.add(app);
    }
    if (filters.tag) tags.add(filters.tag);
    if (filters.app) apps.add(filters.app);
    // Rebuilt only when the choices change, so that an open or focused select is left alone.
    const signature = JSON.stringify([[...tags].sort(), [...apps].sort(), environments]);
    if (signature === optionsSignature) return;
    optionsSignature = signature;
    fillSelect(tagSelect, "Any tag", [...tags].sort(), filters.tag);
    fillSelect(appSelect, "Any app", [...apps].sort(), filters.app);
    fillSelect(envSelect, "Every environment", environments, filters.env);
  }

  function usageCells(name) {
    const counted = usage[name];
    if (!counted) return `<td class="usage" data-label="Last 7 days"></td><td class="seen" data-label="Last seen"></td>`;
    const seen = counted.last_seen;
    return (
      `<td class="usage" data-label="Last 7 days">${sparkline(counted.daily)}` +
      `<span class="usage-total" title="Evaluations in the last 7 days">${counted.total.toLocaleString()}</span></td>` +
      `<td class="seen${seen ? "" : " never"}" data-label="Last seen">` +
      `<time datetime="${esc(seen || "")}" title="${esc(seen || "never evaluated")}">${esc(ago(seen))}</time></td>`
    );
  }

  function staleBadge(name) {
    const which = stale.get(name);
    if (!which) return "";
    return which === "ready"
      ? `<a class="badge ready" href="#/cleanup" title="Stale, and named in no scanned code: see Cleanup">ready to remove</a>`
      : `<a class="badge stale" href="#/cleanup" title="At least one stale signal: see Cleanup">stale</a>`;
  }

  function rowHtml(doc) {
    const name = esc(doc.name);
    const tags = doc.tags.map((tag) => `<span class="tag">${esc(tag)}</span>`).join("");
    const apps = doc.apps.length ? `<span class="apps">apps: ${esc(doc.apps.join(", "))}</span>` : "";
    const cells = [
      `<th scope="row" data-label="Flag"><a class="flag-name" href="#/flags/${encodeURIComponent(doc.name)}">${name}</a>` +
        staleBadge(doc.name) +
        (doc.description ? `<span class="desc">${esc(doc.description)}</span>` : "") +
        (tags || apps ? `<span class="meta">${tags}${apps}</span>` : "") +
        "</th>",
      usageCells(doc.name),
      toggleCell(doc, ""),
    ];
    for (const env of environments) cells.push(toggleCell(doc, env));
    return `<tr data-name="${name}">${cells.join("")}</tr>`;
  }

  function toggleCell(doc, env) {
    const on = effectiveEnabled(doc, env);
    const state = stateOf(doc, env);
    const switched = on ? "on" : "off";
    const override = env && hasOwnSwitch(doc, env);
    const inherited = env && !override;
    const where = env || "default";
    const label = `${doc.name} in ${where}: ${state.label} (${state.detail})${inherited ? ", inherited" : ""}`;
    const disabled = readOnly ? " disabled" : "";
    return (
      `<td data-label="${esc(env ? (ctx.isProtected(env) ? `${env} (protected)` : env) : "Default")}" data-env="${esc(env)}">` +
      `<button type="button" class="toggle ${switched}${state.key === switched ? "" : ` ${state.key}`}` +
      `${inherited ? " inherited" : ""}" ` +
      `data-toggle="${esc(env)}" data-state="${state.key}" ` +
      `aria-pressed="${on}" aria-label="${esc(label)}" title="${esc(label)}${readOnly ? "" : ": click to switch on or off"}"${disabled}>` +
      `${esc(state.label)}</button></td>`
    );
  }

  function onTableClick(event) {
    const button = event.target.closest("button[data-toggle]");
    if (!button || readOnly) return;
    const name = button.closest("tr").dataset.name;
    toggle(name, button.dataset.toggle, button);
  }

  async function toggle(name, env, button) {
    // The button stays enabled (and focused) while the request runs; a second press waits for it,
    // then toggles again (the change stream may show the first one's result before its answer).
    const key = `${name}\u0000${env}`;
    const before = pending.get(key);
    const run = (async () => {
      if (before) await before.catch(() => {}); // its failure was said where it happened
      status.className = "status";
      status.textContent = "";
      const doc = ctx.store.flags.get(name);
      const turnOn = doc ? !effectiveEnabled(doc, env) : true;
      const guarded = doc ? protectedTouched(doc, env) : [];
      if (guarded.length && !(await confirmProtected(name, env, turnOn, guarded))) return;
      button.setAttribute("aria-busy", "true");
      await switchFlag(name, env, guarded.length > 0);
    })();
    pending.set(key, run);
    try {
      await run;
    } finally {
      if (pending.get(key) === run) pending.delete(key);
    }
  }

  /** The protected environments a toggle of `env` changes ("" = the flag's own switch: every one without its own). */
  function protectedTouched(doc, env) {
    if (env) return ctx.isProtected(env) ? [env] : [];
    return environments.filter((each) => ctx.isProtected(each) && !hasOwnSwitch(doc, each));
  }

  function confirmProtected(name, env, turnOn, guarded) {
    const where = env ? `in ${env}` : "by default";
    const verb = turnOn ? "on" : "off";
    const envs = guarded.join(", ");
    const text = ctx.needsApproval
      ? `${envs} ${guarded.length === 1 ? "is" : "are"} protected: this creates a change request, and ${name} stays as it is until someone else approves and applies it. You can withdraw it from the message that follows.`
      : `${envs} ${guarded.length === 1 ? "is" : "are"} protected. As an admin you change it at once: every user there gets the new answer now. You can undo it from the message that follows.`;
    return ask({
      id: "confirm-toggle",
      title: `Turn ${name} ${verb} ${where}?`,
      text,
      confirmLabel: ctx.needsApproval ? `Request turning it ${verb}` : `Turn ${verb} ${where}`,
    });
  }

  /** Toggle, and say what happened; after a protected toggle, a toast offers to undo it. */
  async function switchFlag(name, env, offerUndo) {
    const where = env || "the default";
    try {
      const doc = await ctx.api.post(path("/flags", name, "toggle") + query({ environment: env }));
      ctx.store.upsert(doc);
      const state = effectiveEnabled(doc, env) ? "on" : "off";
      status.textContent = `${name} is now ${state} in ${where}.`;
      if (offerUndo) {
        toast(`${name} is now ${state} in ${where}.`, [
          { label: "Undo", id: "toast-undo", run: () => undoToggle(name, env) },
        ]);
      }
    } catch (error) {
      if (error instanceof ChangeRequested) {
        const request = error.request;
        status.textContent = `Change request #${request.id} holds this toggle of ${name} in ${where}: nothing changes until someone else approves and applies it.`;
        toast(`Change request #${request.id} created: ${name} in ${where} waits for approval.`, [
          { label: "View", id: "toast-view", href: `#/changes/${request.id}` },
          { label: "Withdraw", id: "toast-undo", run: () => withdraw(request) },
        ]);
      } else {
        status.textContent = `Could not toggle ${name}: ${error.message}`;
        status.className = "status error";
      }
    } finally {
      const button = rows.get(name)?.querySelector(`button[data-toggle="${CSS.escape(env)}"]`);
      if (button) button.removeAttribute("aria-busy");
    }
  }

  async function undoToggle(name, env) {
    const doc = await ctx.api.post(path("/flags", name, "toggle") + query({ environment: env }));
    ctx.store.upsert(doc);
    const state = effectiveEnabled(doc, env) ? "on" : "off";
    status.textContent = `Undone: ${name} is ${state} in ${env || "the default"} again.`;
    return status.textContent;
  }

  /** The requester takes back their change request (rejected, saying so). */
  async function withdraw(request) {
    await ctx.api.post(path("/change-requests", String(request.id), "reject"), { text: "Withdrawn by its requester." });
    status.textContent = `Withdrawn: change request #${request.id} is rejected, nothing changed.`;
    return status.textContent;
  }

  function onChanged(names) {
    if (!thead.firstChild) return; // not loaded yet: the first render reads the store
    for (const name of names) {
      const doc = ctx.store.flags.get(name);
      const old = rows.get(name);
      if (!doc) {
        if (old) old.remove();
        rows.delete(name);
        continue;
      }
      const tr = rowFromHtml(rowHtml(doc));
      if (old) {
        const focused = old.contains(document.activeElement) ? document.activeElement : null;
        old.replaceWith(tr);
        if (focused) refocus(tr, focused);
      } else {
        insertSorted(tr);
      }
      rows.set(name, tr);
      tr.hidden = !matches(doc);
      narrowColumns(tr);
    }
    renderOptions();
    updateCount();
  }

  function insertSorted(tr) {
    const name = tr.dataset.name;
    for (const row of tbody.rows) {
      if (row.dataset.name > name) {
        tbody.insertBefore(tr, row);
        return;
      }
    }
    tbody.append(tr);
  }

  function onFilter() {
    filters.q = search.value;
    filters.tag = tagSelect.value;
    filters.app = appSelect.value;
    filters.env = envSelect.value;
    filters.state = stateSelect.value;
    const wasArchived = filters.show === "archived";
    filters.show = showSelect.value;
    const kept = Object.fromEntries(FILTERS.map((key) => [key, filters[key]]));
    ctx.replaceHash(`#/flags${query(kept)}`);
    applyFilters();
    if (filters.show === "archived" && !wasArchived) showArchived();
  }

  function applyFilters() {
    const archived = filters.show === "archived";
    archivedList.hidden = !archived;
    activeList.hidden = archived;
    legend.hidden = archived;
    if (archived) {
      empty.hidden = true;
      return;
    }
    for (const [name, tr] of rows) tr.hidden = !matches(ctx.store.flags.get(name));
    narrowColumns(table);
    updateCount();
  }

  /** Choosing an environment narrows the columns to it (the state filter then reads it). */
  function narrowColumns(root) {
    for (const cell of root.querySelectorAll("[data-env]")) {
      cell.hidden = Boolean(filters.env) && cell.dataset.env !== "" && cell.dataset.env !== filters.env;
    }
  }

  function matches(doc) {
    if (!doc) return false;
    if (filters.app && doc.apps.length && !doc.apps.includes(filters.app)) return false;
    if (filters.tag && !doc.tags.includes(filters.tag)) return false;
    if (filters.q && !`${doc.name} ${doc.description}`.toLowerCase().includes(filters.q.toLowerCase())) return false;
    if (filters.state && effectiveEnabled(doc, filters.env) !== (filters.state === "on")) return false;
    if (filters.show === "stale" && !stale.has(doc.name)) return false;
    return true;
  }

  function updateCount() {
    if (filters.show === "archived") return;
    const total = rows.size;
    let shown = 0;
    for (const tr of rows.values()) if (!tr.hidden) shown += 1;
    count.textContent = shown === total ? `${total} flag${total === 1 ? "" : "s"}` : `${shown} of ${total} flags`;
    empty.hidden = shown > 0;
    empty.textContent = total ? "No flag matches these filters." : "No flags yet: create the first one above.";
    table.hidden = shown === 0;
    activeList.hidden = shown === 0;
  }
}

function hasOwnSwitch(doc, env) {
  return Boolean(doc.environments[env]) && doc.environments[env].enabled !== undefined;
}

function rowFromHtml(html) {
  const template = document.createElement("template");
  template.innerHTML = `<table><tbody>${html}</tbody></table>`;
  return template.content.querySelector("tr");
}

function refocus(tr, focused) {
  const selector = focused.dataset.toggle !== undefined ? `[data-toggle="${CSS.escape(focused.dataset.toggle)}"]` : "a";
  const again = tr.querySelector(selector);
  if (again) again.focus();
}

function fillSelect(select, anyLabel, values, current) {
  select.replaceChildren(h("option", { value: "" }, anyLabel), ...values.map((v) => h("option", { value: v }, v)));
  select.value = current;
}

function labelled(text, control) {
  return h("div", { class: "field" }, h("label", { for: control.id }, text), control);
}

function byName(a, b) {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
