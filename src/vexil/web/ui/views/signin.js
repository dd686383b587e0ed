// Sign in with a token: admin (editable) or server (read-only). The token stays in sessionStorage.

import { createApi } from "../api.js";
import { h } from "../dom.js";
import { clearErrors, showError } from "../forms.js";

export function mount(main, ctx) {
  const input = h("input", {
    id: "token",
    name: "token",
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
  });
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  const notice = ctx.takeSigninNotice();
  const form = h(
    "form",
    { class: "card signin", novalidate: true, onsubmit: onSubmit },
    h("h1", {}, "Sign in to Vexil"),
    notice ? h("p", { class: "notice", role: "alert" }, notice) : null,
    h(
      "p",
      {},
      "Use an admin token to manage flags, or a server token to look around read-only. With ",
      h("code", {}, "make run"),
      " the admin token is in ",
      h("code", {}, "vexil-data/admin-token"),
      ".",
    ),
    h("div", { class: "field", dataset: { path: "token" } }, h("label", { for: "token" }, "Token"), input),
    h("p", { class: "form-error", role: "alert" }),
    h("div", { class: "actions" }, submit),
  );
  main.append(form);
  input.focus();
  ctx.ready("signin");

  async function onSubmit(event) {
    event.preventDefault();
    clearErrors(form);
    const token = input.value.trim();
    if (!token) {
      showError(form, "token", "Enter a token.");
      input.focus();
      return;
    }
    submit.disabled = true;
    try {
      const role = await roleOf(token);
      ctx.signIn(token, role);
    } catch (error) {
      showError(form, "token", error.message);
      input.focus();
    } finally {
      submit.disabled = false;
    }
  }
}

/** "admin" or "server", or throws with a message for the person signing in. */
async function roleOf(token) {
  const api = createApi({ token });
  let role;
  try {
    ({ role } = await api.get("/whoami"));
  } catch (error) {
    if (error.status === 401) throw new Error("This token is not valid (mistyped, or revoked).");
    throw new Error(`Could not sign in: ${error.message}`);
  }
  if (role === "client") throw new Error("A client token cannot read flags: use an admin or a server token.");
  return role;
}
