// People (admins only): who signs in, with which role; add a person, change a role, disable or
// enable, remove. The server refuses to leave nobody admin (409), and says so.

import { h } from "../dom.js";
import { clearErrors, showApiError, showError } from "../forms.js";
import { confirmButton } from "./confirm.js";

const ROLES = [
  ["viewer", "Viewer", "sees everything, changes nothing"],
  ["editor", "Editor", "changes flags, segments and overrides"],
  ["admin", "Admin", "also manages people, tokens and environments"],
];

export function mount(main, ctx) {
  main.append(
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, "People"),
      h("p", { class: "hint" }, "Everyone who signs in to this admin UI, and what their role lets them do."),
    ),
  );
  if (!ctx.isAdmin) {
    main.append(h("p", { class: "notice" }, "People can only be listed and added by an admin."));
    ctx.ready("people");
    return {};
  }
  const list = h("div", {}, h("p", { class: "loading" }, "Loading…"));
  const status = h("p", { class: "status", role: "status", id: "people-status" });
  const email = h("input", { id: "new-person-email", type: "email", autocomplete: "off", placeholder: "alice@example.com" });
  const name = h("input", { id: "new-person-name", autocomplete: "off", placeholder: "Alice Martin" });
  const password = h("input", { id: "new-person-password", type: "password", autocomplete: "new-password" });
  const role = h("select", { id: "new-person-role" }, ROLES.map(([value, label]) => h("option", { value }, label)));
  const roleHint = h("p", { class: "hint", id: "new-person-role-hint" });
  const describeRole = () => {
    roleHint.textContent = `${ROLES.find(([value]) => value === role.value)[2]}.`.replace(/^./, (c) => c.toUpperCase());
  };
  role.addEventListener("change", describeRole);
  describeRole();
  const form = h(
    "form",
    { class: "card", id: "new-person", novalidate: true, onsubmit: onCreate },
    h("h2", {}, "Add a person"),
    h(
      "div",
      { class: "row people-row" },
      h("div", { class: "field", dataset: { path: "email" } }, h("label", { for: email.id }, "Email"), email),
      h("div", { class: "field", dataset: { path: "name" } }, h("label", { for: name.id }, "Name"), name),
      h(
        "div",
        { class: "field", dataset: { path: "password" } },
        h("label", { for: password.id }, "Password"),
        password,
        h("p", { class: "hint" }, "At least 10 characters; tell it to them, they sign in with it."),
      ),
      h("div", { class: "field", dataset: { path: "role" } }, h("label", { for: role.id }, "Role"), role, roleHint),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Add person")),
    ),
    h("p", { class: "form-error", role: "alert" }),
  );
  main.append(list, status, form);
  refresh().then(() => ctx.ready("people"));
  return {};

  async function refresh() {
    try {
      const { people } = await ctx.api.get("/users");
      show(people);
    } catch (error) {
      list.replaceChildren(h("p", { class: "notice error", role: "alert" }, `Could not load people: ${error.message}`));
    }
  }

  function show(people) {
    if (!people.length) {
      list.replaceChildren(h("p", { class: "empty" }, "Nobody yet: add the first person below."));
      return;
    }
    const rows = people.map((person) => {
      const me = ctx.session.kind === "person" && ctx.session.email === person.email;
      const roleSelect = h(
        "select",
        { id: `role-${person.id}`, "aria-label": `Role of ${person.email}`, onchange: (e) => change(person, { role: e.target.value }, e.target) },
        ROLES.map(([value, label]) => h("option", { value, selected: value === person.role }, label)),
      );
      const toggle = h(
        "button",
        {
          type: "button",
          id: `disable-${person.id}`,
          onclick: (e) => change(person, { disabled: !person.disabled }, e.target),
        },
        person.disabled ? "Enable" : "Disable",
      );
      return h(
        "tr",
        { dataset: { email: person.email }, class: person.disabled ? "muted-row" : "" },
        h(
          "th",
          { scope: "row" },
          h("span", { class: "avatar", "aria-hidden": "true" }, initials(person)),
          h("span", { class: "person" }, h("strong", {}, person.name, me ? h("span", { class: "hint" }, " (you)") : null), h("span", { class: "hint" }, person.email)),
        ),
        h("td", { "data-label": "Role" }, roleSelect),
        h(
          "td",
          { "data-label": "Status" },
          person.disabled ? h("span", { class: "badge off" }, "disabled") : h("span", { class: "badge on" }, "active"),
        ),
        h("td", { "data-label": "Added" }, new Date(person.created_at).toLocaleDateString()),
        h(
          "td",
          {},
          h(
            "div",
            { class: "row-actions" },
            toggle,
            confirmButton({
            id: `remove-${person.id}`,
            label: "Remove…",
            ariaLabel: `Remove ${person.email}…`,
            question: `Remove ${person.email}? They are signed out at once; the audit log keeps their name.`,
            confirmLabel: `Remove ${person.email}`,
              action: async () => {
                await ctx.api.del(`/users/${person.id}`);
                await refresh();
              },
            }),
          ),
        ),
      );
    });
    list.replaceChildren(
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { id: "people-table", class: "cards" },
          h("thead", {}, h("tr", {}, ["Person", "Role", "Status", "Added", ""].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, rows),
        ),
      ),
    );
  }

  async function change(person, fields, control) {
    status.textContent = "";
    status.classList.remove("error");
    control.disabled = true;
    // The list is drawn again first, then the outcome said: a message shown before the list is
    // redrawn would invite a click on a row that is about to be replaced.
    try {
      const changed = await ctx.api.patch(`/users/${person.id}`, fields);
      await refresh();
      status.textContent = `${changed.email}: ${changed.disabled ? "disabled" : `${changed.role}, active`}.`;
    } catch (error) {
      await refresh();
      status.textContent = error.message;
      status.classList.add("error");
    } finally {
      control.disabled = false;
    }
  }

  async function onCreate(event) {
    event.preventDefault();
    clearErrors(form);
    if (!email.value.trim()) return missing(email, "email", "Enter their email.");
    if (!name.value.trim()) return missing(name, "name", "Enter their name.");
    if (password.value.length < 10) return missing(password, "password", "Use at least 10 characters.");
    try {
      const body = { email: email.value.trim(), name: name.value.trim(), password: password.value, role: role.value };
      const person = await ctx.api.post("/users", body);
      form.reset();
      describeRole();
      status.classList.remove("error");
      status.textContent = `Added ${person.email} as ${person.role}.`;
      await refresh();
    } catch (error) {
      showApiError(form, error.status === 409 ? { path: "email", message: error.message } : error);
    }
  }

  function missing(input, path, message) {
    showError(form, path, message);
    input.focus();
  }
}

function initials(person) {
  const words = (person.name || person.email).split(/[\s@.]+/).filter(Boolean);
  return words
    .slice(0, 2)
    .map((word) => word[0].toUpperCase())
    .join("");
}
