// The evaluation playground of a flag's page: a context in, the answer, the reason and the deciding
// rule out (POST /flags/{name}/explain: a management read, so it works for a signed-in person also
// where the server requires a client token to evaluate).

import { path } from "../api.js";
import { h, showJson } from "../dom.js";
import { clearErrors, showError } from "../forms.js";

export function createPlayground(ctx, name, { environments, onResult }) {
  let evaluated = false;
  const identifier = h("input", { id: "pg-identifier", autocomplete: "off", spellcheck: "false", placeholder: "user-42" });
  const environment = h(
    "select",
    { id: "pg-environment" },
    h("option", { value: "" }, "(none: the flag's own settings)"),
    environments.map((env) => h("option", { value: env }, env)),
  );
  const app = h("input", { id: "pg-app", autocomplete: "off", spellcheck: "false", placeholder: "web" });
  const attributes = h("textarea", {
    id: "pg-attributes",
    class: "json",
    rows: 3,
    spellcheck: "false",
    placeholder: '{"plan": "pro", "country": "NL"}',
  });
  const result = h("div", { class: "playground-result", "aria-live": "polite" });
  const form = h(
    "form",
    { class: "playground", novalidate: true, onsubmit: onSubmit },
    h(
      "div",
      { class: "row" },
      field("Identifier", identifier, "identifier"),
      field("Environment", environment, "environment"),
      field("App", app, "app"),
    ),
    field("Attributes (JSON object)", attributes, "attributes"),
    h("p", { class: "form-error", role: "alert" }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Evaluate")),
  );
  attributes.addEventListener("input", () => {
    clearErrors(form);
    readAttributes();
  });
  const el = h(
    "section",
    { class: "card", "aria-labelledby": "pg-title", id: "playground", tabindex: "-1" },
    h(
      "div",
      { class: "section-head" },
      h("h2", { id: "pg-title" }, "Playground"),
      h("p", { class: "hint" }, "What would this user get, and why? (Evaluates the saved configuration.)"),
    ),
    form,
    result,
  );
  return { el, refresh };

  function refresh() {
    if (evaluated) evaluate(false);
  }

  async function onSubmit(event) {
    event.preventDefault();
    await evaluate(true);
  }

  function readAttributes() {
    const text = attributes.value.trim();
    if (!text) return { value: {} };
    try {
      const value = JSON.parse(text);
      if (value && typeof value === "object" && !Array.isArray(value)) return { value };
      showError(form, "attributes", 'A JSON object, like {"plan": "pro"}.');
    } catch (error) {
      showError(form, "attributes", `Not valid JSON: ${error.message}`);
    }
    return { error: true };
  }

  async function evaluate(focusErrors) {
    clearErrors(form);
    const attrs = readAttributes();
    if (attrs.error) {
      if (focusErrors) attributes.focus();
      return;
    }
    const body = { attributes: attrs.value };
    if (identifier.value.trim()) body.identifier = identifier.value.trim();
    if (environment.value) body.environment = environment.value;
    if (app.value.trim()) body.app = app.value.trim();
    try {
      const answer = await ctx.api.post(path("/flags", name, "explain"), body);
      evaluated = true;
      show(answer);
      if (onResult) onResult(answer);
    } catch (error) {
      showError(form, error.path, error.message);
    }
  }

  function show(answer) {
    const rule = answer.rule === null || answer.rule === undefined ? "—" : `Rule ${answer.rule + 1}`;
    result.replaceChildren(
      h(
        "dl",
        { class: "result", id: "pg-result" },
        item("Variant", "variant", answer.variant === null ? "none" : answer.variant),
        item("Active", "active", answer.active ? "yes" : "no"),
        item("Payload", "payload", h("pre", {}, showJson(answer.payload))),
        item("Reason", "reason", answer.reason),
        item("Decided by", "rule", rule),
        // An environment that does not exist: the flag's own configuration answered (docs/environments.md).
        answer.details?.message ? item("Note", "details", answer.details.message) : null,
      ),
    );
  }
}

function item(label, key, value) {
  return [h("dt", {}, label), h("dd", { dataset: { result: key } }, value)];
}

function field(label, control, pathName) {
  return h(
    "div",
    { class: "field", dataset: { path: pathName } },
    h("label", { for: control.id }, label),
    control,
  );
}
