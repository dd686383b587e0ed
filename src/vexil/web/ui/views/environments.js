// Environments (#/environments): the team's list, in its order, with what overrides each; an admin
// renames, moves and deletes them (the confirmation names the flags whose overrides go and wants
// the name typed). Anyone compares two side by side; an editor promotes the flags chosen in the
// comparison (one change request where the target is protected). docs/environments.md.

import { ChangeRequested, path } from "../api.js";
import { h, lockIcon, showJson } from "../dom.js";

export function mount(main, ctx) {
  const status = h("p", { id: "env-status", class: "notice", role: "status", hidden: true });
  const list = h("div", {}, h("p", { class: "loading" }, "Loading…"));
  const compareCard = h("section", { class: "card", id: "env-compare" });
  main.append(
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, "Environments"),
      h("p", { class: "meta" }, "Where flags can be overridden and tokens bound, in your team's order."),
    ),
    status,
    list,
    compareCard,
  );
  let environments = [];
  refresh().then(() => ctx.ready("environments"));
  return {};

  function say(text, { error = false } = {}) {
    status.hidden = !text;
    status.className = error ? "notice error" : "notice";
    status.setAttribute("role", error ? "alert" : "status");
    status.textContent = text;
  }

  async function refresh() {
    try {
      const body = await ctx.api.get("/environments");
      // What overrides each, as the server has it now (the live store may lag a rename by a moment).
      const usages = await Promise.all(body.environments.map((env) => ctx.api.get(path("/environments", env.name, "usage"))));
      environments = body.environments.map((env, index) => ({ ...env, flags: usages[index].flags }));
      ctx.setEnvironments(environments);
      show();
      showCompare();
    } catch (error) {
      list.replaceChildren(h("p", { class: "notice error", role: "alert" }, `Could not load environments: ${error.message}`));
    }
  }

  function show() {
    const rows = environments.map((env, index) =>
      h(
        "tr",
        { dataset: { name: env.name } },
        h("th", { scope: "row" }, h("span", { class: "env-name" }, env.name), env.protected ? [" ", lockIcon(`${env.name} is protected`)] : null),
        h(
          "td",
          { "data-label": "Protected" },
          env.protected
            ? h("span", { class: "badge override" }, `${env.required_approvals} approval${env.required_approvals === 1 ? "" : "s"}`)
            : h("span", { class: "hint" }, "no"),
        ),
        h("td", { "data-label": "Overrides" }, `${env.flags.length} flag${env.flags.length === 1 ? "" : "s"}`),
        h("td", { "data-label": "Created" }, new Date(env.created_at).toLocaleDateString()),
        h("td", { class: "env-actions" }, ctx.isAdmin ? actions(env, index) : null),
      ),
    );
    list.replaceChildren(
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { id: "environments-table", class: "cards" },
          h("thead", {}, h("tr", {}, ["Name", "Protected", "Overrides", "Created", ""].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, rows),
        ),
      ),
    );
  }

  function actions(env, index) {
    const slot = h("div", { class: "env-slot" });
    const up = h("button", { type: "button", class: "small", "aria-label": `Move ${env.name} up`, disabled: index === 0, onclick: () => move(env, index - 1) }, "↑");
    const down = h(
      "button",
      { type: "button", class: "small", "aria-label": `Move ${env.name} down`, disabled: index === environments.length - 1, onclick: () => move(env, index + 1) },
      "↓",
    );
    const rename = h("button", { type: "button", class: "small", id: `rename-${env.name}`, onclick: () => renameForm(env, slot) }, "Rename…");
    const remove = h("button", { type: "button", class: "small danger", id: `delete-${env.name}`, onclick: () => deleteForm(env, slot) }, "Delete…");
    return [h("div", { class: "row" }, up, down, rename, remove), slot];
  }

  async function move(env, place) {
    try {
      await ctx.api.patch(path("/environments", env.name), { order: place });
      say(`Moved ${env.name} to place ${place + 1}.`);
      await refresh();
    } catch (error) {
      say(error.message, { error: true });
    }
  }

  function renameForm(env, slot) {
    const input = h("input", { id: `rename-${env.name}-name`, value: env.name, autocomplete: "off", spellcheck: "false", "aria-label": `New name for ${env.name}` });
    const error = h("p", { class: "form-error", role: "alert" });
    const form = h(
      "form",
      { class: "confirm", novalidate: true },
      h("p", {}, `Rename ${env.name}: its overrides, place, protection and tokens move along.`),
      h("div", { class: "row" }, input, h("button", { type: "submit", class: "primary" }, "Rename"), h("button", { type: "button", onclick: () => slot.replaceChildren() }, "Cancel")),
      error,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const name = input.value.trim();
      if (!name || name === env.name) {
        error.textContent = "Enter a new name.";
        input.focus();
        return;
      }
      try {
        await ctx.api.patch(path("/environments", env.name), { name });
        say(`Renamed ${env.name} to ${name}.`);
        await refresh();
      } catch (failure) {
        error.textContent = failure.message;
        input.focus();
      }
    });
    slot.replaceChildren(form);
    input.select();
  }

  async function deleteForm(env, slot) {
    let usage;
    try {
      usage = await ctx.api.get(path("/environments", env.name, "usage"));
    } catch (failure) {
      say(failure.message, { error: true });
      return;
    }
    const going = usage.flags.length
      ? [`It also deletes the overrides of ${usage.flags.length} flag${usage.flags.length === 1 ? "" : "s"}: `, h("strong", {}, usage.flags.join(", ")), "."]
      : ["No flag overrides it."];
    const blocked = usage.protected
      ? `${env.name} is protected: unprotect it first, then delete it.`
      : usage.tokens.length
        ? `Tokens are bound to ${env.name} (${usage.tokens.join(", ")}): revoke them first, then delete it.`
        : "";
    const typed = h("input", { id: `delete-${env.name}-confirm`, autocomplete: "off", spellcheck: "false", "aria-label": `Type ${env.name} to confirm` });
    const confirm = h("button", { type: "submit", class: "danger solid", id: `delete-${env.name}-go`, disabled: true }, `Delete ${env.name}`);
    typed.addEventListener("input", () => {
      confirm.disabled = typed.value !== env.name;
    });
    const error = h("p", { class: "form-error", role: "alert" });
    const form = h(
      "form",
      { class: "confirm", novalidate: true },
      h("p", {}, `Delete ${env.name}? `, ...going),
      blocked
        ? h("p", { class: "notice error" }, blocked)
        : h("div", { class: "row" }, h("label", { for: typed.id }, `Type ${env.name} to confirm`), typed, confirm, h("button", { type: "button", onclick: () => slot.replaceChildren() }, "Cancel")),
      error,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (typed.value !== env.name) return;
      try {
        await ctx.api.del(`${path("/environments", env.name)}?confirm=${encodeURIComponent(env.name)}`);
        say(`Deleted ${env.name}${usage.flags.length ? ` and its overrides in ${usage.flags.join(", ")}` : ""}.`);
        await refresh();
      } catch (failure) {
        error.textContent = failure.message;
      }
    });
    slot.replaceChildren(form);
    (blocked ? form : typed).focus?.();
  }

  // --- compare and promote --------------------------------------------------------------------

  function showCompare() {
    const names = environments.map((env) => env.name);
    const previous = compareCard.querySelector("#compare-from")?.value;
    const previousTo = compareCard.querySelector("#compare-to")?.value;
    const from = h("select", { id: "compare-from" }, names.map((n) => h("option", { value: n }, n)));
    const to = h("select", { id: "compare-to" }, names.map((n) => h("option", { value: n }, n)));
    from.value = names.includes(previous) ? previous : names[Math.max(0, names.length - 2)] || "";
    to.value = names.includes(previousTo) ? previousTo : names[names.length - 1] || "";
    const result = h("div", { id: "compare-result" });
    const run = h("button", { type: "submit", class: "primary", id: "compare-go" }, "Compare");
    const form = h(
      "form",
      { class: "row", novalidate: true },
      h("div", { class: "field" }, h("label", { for: from.id }, "From"), from),
      h("div", { class: "field" }, h("label", { for: to.id }, "To"), to),
      h("div", { class: "actions" }, run),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      compare(from.value, to.value, result);
    });
    compareCard.replaceChildren(
      h("h2", {}, "Compare and promote"),
      h("p", { class: "hint" }, "What each flag evaluates differently in the second environment; promote copies the first one's configuration there."),
      form,
      result,
    );
  }

  async function compare(from, to, result) {
    let compared;
    try {
      compared = await ctx.api.get(`/environments/compare?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
    } catch (failure) {
      result.replaceChildren(h("p", { class: "notice error", role: "alert" }, failure.message));
      return;
    }
    if (!compared.flags.length) {
      result.replaceChildren(h("p", { class: "empty", id: "compare-equal" }, `${from} and ${to} evaluate every flag alike.`));
      return;
    }
    const boxes = [];
    const rows = compared.flags.flatMap((flag) =>
      flag.differences.map((difference, index) => {
        let pick = null;
        if (index === 0 && ctx.can("editor")) {
          pick = h("input", { type: "checkbox", checked: true, "aria-label": `Promote ${flag.flag}`, dataset: { flag: flag.flag } });
          boxes.push(pick);
        }
        return h(
          "tr",
          { dataset: { flag: flag.flag }, class: index === 0 ? "first" : "" },
          h("td", { class: "pick" }, pick),
          h("th", { scope: "row" }, index === 0 ? h("a", { href: `#/flags/${encodeURIComponent(flag.flag)}` }, flag.flag) : ""),
          h("td", { "data-label": "Setting" }, h("code", {}, difference.path)),
          h("td", { "data-label": from, class: "from" }, h("code", {}, showJson(difference.from))),
          h("td", { "data-label": to, class: "to" }, h("code", {}, showJson(difference.to))),
        );
      }),
    );
    const outcome = h("p", { id: "promote-outcome", role: "status" });
    const promote = ctx.can("editor")
      ? h(
          "button",
          { type: "button", class: "primary", id: "promote-go" },
          ctx.isProtected(to) && ctx.needsApproval ? `Request promotion to ${to}` : `Promote selected to ${to}`,
        )
      : null;
    promote?.addEventListener("click", async () => {
      const flags = boxes.filter((box) => box.checked).map((box) => box.dataset.flag);
      if (!flags.length) {
        outcome.textContent = "Choose at least one flag.";
        return;
      }
      promote.disabled = true;
      try {
        const promoted = await ctx.api.post("/environments/promote", { from, to, flags });
        say(`Promoted ${promoted.flags.length} flag${promoted.flags.length === 1 ? "" : "s"} from ${from} to ${to}: ${promoted.flags.join(", ")}.`);
        await refresh(); // the overrides counted per environment moved too
        await compare(from, to, compareCard.querySelector("#compare-result"));
      } catch (failure) {
        if (failure instanceof ChangeRequested) {
          outcome.replaceChildren(
            "Nothing changed yet: the promotion waits for approval in ",
            h("a", { href: `#/changes/${failure.request.id}` }, `change request #${failure.request.id}`),
            ".",
          );
        } else {
          outcome.className = "form-error";
          outcome.textContent = failure.message;
        }
      } finally {
        promote.disabled = false;
      }
    });
    result.replaceChildren(
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { id: "compare-table", class: "cards compare" },
          h("thead", {}, h("tr", {}, ["", "Flag", "Setting", from, to].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, rows),
        ),
      ),
      promote ? h("div", { class: "row promote-row" }, promote, outcome) : null,
    );
  }
}
