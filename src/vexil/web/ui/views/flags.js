// The flags list: search and filters, each flag's state in every environment at a glance, inline
// toggles, and a form to create a flag. Rows are built as one HTML string (500 flags render in a
// few milliseconds) and patched one by one when the change stream reports a flag.

import { path, query } from "../api.js";
import { esc, h } from "../dom.js";
import { clearErrors, showError } from "../forms.js";
import { effectiveEnabled, stateOf } from "../store.js";

const FILTERS = ["q", "tag", "app", "env", "state"];

export function mount(main, ctx, { params }) {
  const filters = Object.fromEntries(FILTERS.map((key) => [key, params.get(key) || ""]));
  const readOnly = ctx.readOnly;
  let environments = [];
  const rows = new Map();
  const pending = new Set();
  let optionsSignature = "";

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
  const thead = h("thead");
  const tbody = h("tbody", { onclick: onTableClick });
  const table = h("table", { class: "flags", id: "flags-table" }, h("caption", { class: "sr-only" }, "Flags"), thead, tbody);
  const empty = h("p", { class: "empty", hidden: true });

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
    ),
    h(
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
    ),
    status,
    h("div", { class: "table-wrap" }, table),
    empty,
  );

  const unsubscribe = ctx.store.subscribe(onChanged);
  load();

  return {
    unmount() {
      unsubscribe();
    },
  };

  async function load() {
    try {
      environments = await ctx.environments;
      await ctx.flagsLoaded;
    } catch (error) {
      status.textContent = `Could not load the flags: ${error.message}`;
      ctx.ready("flags");
      return;
    }
    renderHead();
    renderOptions();
    const docs = [...ctx.store.flags.values()].sort(byName);
    tbody.innerHTML = docs.map(rowHtml).join("");
    for (const tr of tbody.rows) rows.set(tr.dataset.name, tr);
    applyFilters();
    ctx.ready("flags");
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
    const cells = [`<th scope="col">Flag</th>`, `<th scope="col" data-env="">Default</th>`];
    for (const env of environments) cells.push(`<th scope="col" data-env="${esc(env)}">${esc(env)}</th>`);
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

  function rowHtml(doc) {
    const name = esc(doc.name);
    const tags = doc.tags.map((tag) => `<span class="tag">${esc(tag)}</span>`).join("");
    const apps = doc.apps.length ? `<span class="apps">apps: ${esc(doc.apps.join(", "))}</span>` : "";
    const cells = [
      `<th scope="row" data-label="Flag"><a class="flag-name" href="#/flags/${encodeURIComponent(doc.name)}">${name}</a>` +
        (doc.description ? `<span class="desc">${esc(doc.description)}</span>` : "") +
        (tags || apps ? `<span class="meta">${tags}${apps}</span>` : "") +
        "</th>",
      toggleCell(doc, ""),
    ];
    for (const env of environments) cells.push(toggleCell(doc, env));
    return `<tr data-name="${name}">${cells.join("")}</tr>`;
  }

  function toggleCell(doc, env) {
    const on = effectiveEnabled(doc, env);
    const state = stateOf(doc, env);
    const switched = on ? "on" : "off";
    const override = env && doc.environments[env] && doc.environments[env].enabled !== undefined;
    const inherited = env && !override;
    const where = env || "default";
    const label = `${doc.name} in ${where}: ${state.label} (${state.detail})${inherited ? ", inherited" : ""}`;
    const disabled = readOnly ? " disabled" : "";
    return (
      `<td data-label="${esc(env || "Default")}" data-env="${esc(env)}">` +
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
    // The button stays enabled (and focused) while the request runs; a second press waits for it.
    const key = `${name}\u0000${env}`;
    if (pending.has(key)) return;
    pending.add(key);
    button.setAttribute("aria-busy", "true");
    status.className = "status";
    status.textContent = "";
    try {
      const doc = await ctx.api.post(path("/flags", name, "toggle") + query({ environment: env }));
      ctx.store.upsert(doc);
      const state = effectiveEnabled(doc, env) ? "on" : "off";
      status.textContent = `${name} is now ${state} in ${env || "the default"}.`;
    } catch (error) {
      status.textContent = `Could not toggle ${name}: ${error.message}`;
      status.className = "status error";
      button.removeAttribute("aria-busy");
    } finally {
      pending.delete(key);
    }
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
    const kept = Object.fromEntries(FILTERS.map((key) => [key, filters[key]]));
    ctx.replaceHash(`#/flags${query(kept)}`);
    applyFilters();
  }

  function applyFilters() {
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
    return true;
  }

  function updateCount() {
    const total = rows.size;
    let shown = 0;
    for (const tr of rows.values()) if (!tr.hidden) shown += 1;
    count.textContent = shown === total ? `${total} flag${total === 1 ? "" : "s"}` : `${shown} of ${total} flags`;
    empty.hidden = shown > 0;
    empty.textContent = total ? "No flag matches these filters." : "No flags yet: create the first one above.";
    table.hidden = shown === 0;
  }
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
