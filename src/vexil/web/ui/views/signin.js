// Sign in: with email and password (the server sets an HttpOnly session cookie; docs/people.md),
// through single sign-on when the server has it (GET /sso; the button leads to /sso/login, with
// ?next= the page opened, where the callback returns; a refused sign-on comes back here with
// ?sso_error=...), or, as the secondary way, with a token
// (kept in sessionStorage).

import { ApiError, createApi } from "../api.js";
import { h } from "../dom.js";
import { clearErrors, showError } from "../forms.js";

/** /sso/login, asked to come back to the page the person opened (the server accepts only /ui/ pages). */
function ssoHref() {
  const hash = location.hash;
  if (!hash || hash === "#" || hash.startsWith("#/signin")) return "/sso/login";
  return `/sso/login?next=${encodeURIComponent(`/ui/${hash}`)}`;
}

export function mount(main, ctx) {
  const notice = ctx.takeSigninNotice();
  const ssoError = takeSsoError();
  const slot = h("div", {});
  main.append(
    h(
      "div",
      { class: "signin" },
      h("div", { class: "signin-brand" }, h("span", { class: "signin-mark", "aria-hidden": "true" }, "V"), "Vexil"),
      notice ? h("p", { class: "notice", role: "alert" }, notice) : null,
      ssoError ? h("p", { class: "notice error", id: "sso-error", role: "alert" }, ssoError) : null,
      slot,
    ),
  );
  const sso = singleSignOn();
  showPassword();
  ctx.ready("signin");
  return {};

  function showPassword() {
    const email = h("input", { id: "email", name: "email", type: "email", autocomplete: "username", required: true });
    const password = h("input", {
      id: "password",
      name: "password",
      type: "password",
      autocomplete: "current-password",
      required: true,
    });
    const submit = h("button", { type: "submit", class: "primary wide" }, "Sign in");
    const form = h(
      "form",
      { class: "card", id: "signin-form", novalidate: true, onsubmit: onSubmit },
      h("h1", {}, "Sign in"),
      h("p", { class: "hint" }, "With the email and password an admin gave you."),
      h("div", { class: "field", dataset: { path: "email" } }, h("label", { for: "email" }, "Email"), email),
      h("div", { class: "field", dataset: { path: "password" } }, h("label", { for: "password" }, "Password"), password),
      h("p", { class: "form-error", role: "alert" }),
      h("div", { class: "actions" }, submit),
      h(
        "p",
        { class: "signin-other" },
        h("button", { type: "button", class: "link", id: "use-token", onclick: showToken }, "Sign in with a token instead"),
      ),
    );
    slot.replaceChildren(form);
    email.focus();
    sso.then((label) => {
      if (!label || !form.isConnected) return;
      const hint = form.querySelector(".hint");
      hint.textContent = "With your organization's account, or the email and password an admin gave you.";
      hint.after(
        h("a", { class: "button wide sso", id: "sso", href: ssoHref() }, h("span", { class: "sso-key", "aria-hidden": "true" }), label),
        h("p", { class: "signin-or" }, h("span", {}, "or with email and password")),
      );
    });

    async function onSubmit(event) {
      event.preventDefault();
      clearErrors(form);
      if (!email.value.trim()) return fail(email, "email", "Enter your email.");
      if (!password.value) return fail(password, "password", "Enter your password.");
      submit.disabled = true;
      try {
        const person = await createApi({ token: null }).post("/session", {
          email: email.value.trim(),
          password: password.value,
        });
        ctx.signInPerson(person);
      } catch (error) {
        const message =
          error instanceof ApiError && error.status === 401 ? "The email or the password is wrong." : error.message;
        fail(password, "password", message);
        password.select();
      } finally {
        submit.disabled = false;
      }
    }

    function fail(input, path, message) {
      showError(form, path, message);
      input.focus();
    }
  }

  function showToken() {
    const input = h("input", {
      id: "token",
      name: "token",
      type: "password",
      autocomplete: "off",
      spellcheck: "false",
      required: true,
    });
    const submit = h("button", { type: "submit", class: "primary wide" }, "Sign in with the token");
    const form = h(
      "form",
      { class: "card", id: "token-form", novalidate: true, onsubmit: onSubmit },
      h("h1", {}, "Sign in with a token"),
      h(
        "p",
        { class: "hint" },
        "For automation and first setup. With ",
        h("code", {}, "make run"),
        " the admin token is in ",
        h("code", {}, "vexil-data/admin-token"),
        ".",
      ),
      h("div", { class: "field", dataset: { path: "token" } }, h("label", { for: "token" }, "Token"), input),
      h("p", { class: "form-error", role: "alert" }),
      h("div", { class: "actions" }, submit),
      h(
        "p",
        { class: "signin-other" },
        h("button", { type: "button", class: "link", id: "use-password", onclick: showPassword }, "Sign in with email and password"),
      ),
    );
    slot.replaceChildren(form);
    input.focus();

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
}

/** The label of the single sign-on button, or null when the server has no single sign-on. */
async function singleSignOn() {
  try {
    const { enabled, label } = await createApi({ token: null }).get("/sso");
    return enabled ? label : null;
  } catch {
    return null; // an older server, or unreachable: sign in with a password
  }
}

/** Why a single sign-on was refused, when the server sent the browser back here (then forgotten). */
function takeSsoError() {
  const params = new URLSearchParams(location.search);
  const error = params.get("sso_error");
  if (error === null) return "";
  params.delete("sso_error");
  const query = params.toString();
  history.replaceState(history.state, "", `${location.pathname}${query ? `?${query}` : ""}${location.hash}`);
  return `Single sign-on did not work: ${error}.`;
}

/** The token's role, or throws with a message for the person signing in. */
async function roleOf(token) {
  const api = createApi({ token });
  let role;
  try {
    ({ role } = await api.get("/whoami"));
  } catch (error) {
    if (error.status === 401) throw new Error("This token is not valid (mistyped, or revoked).");
    throw new Error(`Could not sign in: ${error.message}`);
  }
  if (role === "client") throw new Error("A client token cannot read flags: use a token of the server role or above.");
  return role;
}
