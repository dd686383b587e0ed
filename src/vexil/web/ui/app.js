// The admin UI: session, hash routing (#/flags, #/flags/NAME, #/cleanup, #/segments, #/changes, #/tokens,
// #/people, #/sdks, #/audit, #/environments), the shared store and the live change stream.
//
// Who is signed in: a person (email and password: the server's HttpOnly session cookie, which this
// code never sees, and the session's CSRF token, asked of GET /whoami on every load) or a token
// (kept in sessionStorage, as before). `ctx.can(role)` says what the UI offers: a viewer sees no
// control that changes anything, an editor no tokens or people.

import { createApi } from "./api.js";
import { ask } from "./dialog.js";
import { loadOperators } from "./conditions.js";
import { followChanges } from "./live.js";
import { createStore } from "./store.js";
import * as audit from "./views/audit.js";
import * as changes from "./views/changes.js";
import * as cleanup from "./views/cleanup.js";
import * as environments from "./views/environments.js";
import * as flag from "./views/flag.js";
import * as flags from "./views/flags.js";
import * as people from "./views/people.js";
import * as sdks from "./views/sdks.js";
import * as segments from "./views/segments.js";
import * as signin from "./views/signin.js";
import * as tokens from "./views/tokens.js";
import * as webhooks from "./views/webhooks.js";

const SESSION_KEY = "vexil.session";

const ROUTES = [
  [/^\/flags$/, flags, "flags"],
  [/^\/flags\/([^/]+)$/, flag, "flags"],
  [/^\/cleanup$/, cleanup, "cleanup"],
  [/^\/segments$/, segments, "segments"],
  [/^\/segments\/([^/]+)$/, segments, "segments"],
  [/^\/changes$/, changes, "changes"],
  [/^\/changes\/(\d+)$/, changes, "changes"],
  [/^\/tokens$/, tokens, "tokens"],
  [/^\/people$/, people, "people"],
  [/^\/sdks$/, sdks, "sdks"],
  [/^\/audit$/, audit, "audit"],
  [/^\/environments$/, environments, "environments"],
  [/^\/webhooks$/, webhooks, "webhooks"],
];

// The ladder of docs/spec.md §4: each role may do what those before it may.
const LADDER = ["client", "server", "viewer", "editor", "admin"];
const ROLE_NAMES = { viewer: "Viewer", editor: "Editor", admin: "Admin" };

const session = loadSession();
const store = createStore();
const api = createApi(session, {
  onUnauthorized: () =>
    signOut(
      session.kind === "person"
        ? "Your session has ended (signed out elsewhere, expired, or your account was disabled): sign in again."
        : "Your token is no longer accepted (revoked?): sign in again.",
    ),
});

let view = null;
let stopLive = null;
let loading = null;
let signinNotice = "";

const ctx = {
  api,
  store,
  session,
  /** Whether the signed-in person or token has `role` or above. */
  can(role) {
    return LADDER.indexOf(session.role) >= LADDER.indexOf(role);
  },
  /** Nothing can be changed: flags, segments and overrides need the editor role. */
  get readOnly() {
    return !ctx.can("editor");
  },
  get isAdmin() {
    return ctx.can("admin");
  },
  /** Whether `env` is protected: a change there needs approval, unless made by an admin. */
  isProtected(env) {
    return store.protected.has(env);
  },
  /** This person's writes to a protected environment become change requests (admins bypass it). */
  get needsApproval() {
    return ctx.can("editor") && !ctx.isAdmin;
  },
  /** Resolves once environments are known. */
  environments: null,
  /** The environments as GET /environments answered them now (after a rename, a move, a deletion). */
  setEnvironments(listed) {
    knownEnvironments(listed);
    ctx.environments = Promise.resolve(store.environments);
  },
  /** Resolves once every flag is in the store. */
  flagsLoaded: null,
  /** Resolves once the condition operators (GET /operators, no token needed) are known. */
  get operators() {
    return loadOperators(api);
  },
  navigate(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  },
  /** Change the address (e.g. filters) without re-rendering the view. */
  replaceHash(hash) {
    history.replaceState(history.state, "", hash);
    shownHash = location.hash;
  },
  /** The view is interactive: marks the performance timeline and `main[data-ready]` (for tests). */
  ready(name) {
    performance.mark(`vexil:ready:${name}`);
    document.getElementById("main").dataset.ready = name;
  },
  /** Signed in with a token whose role is `role`. */
  signIn(token, role) {
    Object.assign(session, { kind: "token", token, role, name: "", email: "", csrf: "" });
    sessionStorage.setItem(SESSION_KEY, JSON.stringify({ token, role }));
    enter();
  },
  /** Signed in as a person: what POST /session answered (the cookie is the browser's). */
  signInPerson(person) {
    setPerson(person);
    enter();
  },
  signOut: () => signOut("", { endSession: true }),
  takeSigninNotice() {
    const notice = signinNotice;
    signinNotice = "";
    return notice;
  },
};

function loadSession() {
  const blank = { kind: null, token: null, role: null, name: "", email: "", csrf: "" };
  try {
    const saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
    if (saved && typeof saved.token === "string") return { ...blank, kind: "token", token: saved.token, role: saved.role };
  } catch {
    // a malformed entry: signed out
  }
  return blank;
}

function setPerson(person) {
  Object.assign(session, {
    kind: "person",
    token: null,
    role: person.role,
    name: person.name,
    email: person.email,
    csrf: person.csrf_token,
  });
}

function signedIn() {
  return Boolean(session.kind);
}

function enter() {
  startSession();
  const target = location.hash && !location.hash.startsWith("#/signin") ? location.hash : "#/flags";
  ctx.navigate(target);
}

/** A session cookie from an earlier visit: GET /session says whose (and gives its CSRF token), or 204. */
async function resumePerson() {
  try {
    const me = await createApi({ token: null }).get("/session");
    if (me && me.kind === "person") setPerson(me);
  } catch {
    // no session, or it ended: the sign-in page
  }
}

function knownEnvironments(listed) {
  store.environments = listed.map((env) => env.name);
  store.protected = new Map(listed.filter((env) => env.protected).map((env) => [env.name, env.required_approvals]));
}

function startSession() {
  store.clear();
  ctx.environments = api.get("/environments").then((body) => {
    knownEnvironments(body.environments);
    return store.environments;
  });
  ctx.flagsLoaded = api.get("/flags").then((body) => {
    store.replaceAll(body.flags);
    return store.flags;
  });
  loading = Promise.all([ctx.environments, ctx.flagsLoaded]);
  loading.catch(() => {}); // each view reports its own failure
  if (stopLive) stopLive();
  // Stream messages wait for the first list, then apply in order: the stream's `config` and the
  // changes after it are the truth, whatever GET /flags (older or newer) said.
  let applied = ctx.flagsLoaded.catch(() => null);
  const inOrder = (fn) => {
    applied = applied.then(fn);
  };
  stopLive = followChanges(session.token, {
    onConfig: (docs) => inOrder(() => store.replaceAll(docs)),
    onFlags: (changes) => inOrder(() => store.apply(changes)),
    onSegments: (segments) => store.setSegments(segments),
    onStatus: showLive,
  });
  renderChrome();
}

function signOut(notice, { endSession = false } = {}) {
  if (stopLive) stopLive();
  stopLive = null;
  if (endSession && session.kind === "person") api.del("/session").catch(() => {});
  Object.assign(session, { kind: null, token: null, role: null, name: "", email: "", csrf: "" });
  sessionStorage.removeItem(SESSION_KEY);
  store.clear();
  signinNotice = notice;
  renderChrome();
  route();
}

const LIVE_TEXT = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  stopped: "Not live",
};

function showLive(state) {
  const el = document.getElementById("live");
  el.dataset.state = state;
  el.textContent = LIVE_TEXT[state] || state;
  el.title =
    state === "live" ? "Changes made by others appear here as they happen" : "Changes by others are not shown";
}

function renderChrome() {
  const inside = signedIn();
  document.getElementById("nav").hidden = !inside;
  document.getElementById("session").hidden = !inside;
  for (const link of document.querySelectorAll("#nav a[data-needs]")) link.hidden = !ctx.can(link.dataset.needs);
  const banner = document.getElementById("readonly");
  banner.hidden = !inside || !ctx.readOnly;
  banner.textContent =
    session.kind === "person"
      ? "Read-only: you are a viewer, so everything is shown but nothing can be changed. An admin can make you an editor."
      : "Read-only: you signed in with a read-only token, so everything is shown but nothing can be changed. Sign in as an editor to make changes.";
  const who = document.getElementById("who");
  const role = document.getElementById("role");
  if (session.kind === "person") {
    who.textContent = session.name || session.email;
    who.title = session.email;
    role.textContent = ROLE_NAMES[session.role] || session.role;
  } else {
    who.textContent = inside ? "Token" : "";
    who.title = "";
    role.textContent = inside ? (ROLE_NAMES[session.role] || session.role) + (ctx.readOnly ? " (read-only)" : "") : "";
  }
  document.body.dataset.role = inside ? session.role : "";
  document.body.dataset.kind = inside ? session.kind : "";
  if (inside && ctx.readOnly) document.body.dataset.readonly = "";
  else delete document.body.dataset.readonly;
}

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/flags";
  const [pathPart, queryPart] = raw.split("?");
  return { path: pathPart.replace(/\/+$/, "") || "/flags", params: new URLSearchParams(queryPart || "") };
}

function route() {
  if (view && view.unmount) view.unmount();
  view = null;
  const main = document.getElementById("main");
  main.replaceChildren();
  delete main.dataset.ready;
  if (!signedIn()) {
    markNav(null);
    view = signin.mount(main, ctx);
    return;
  }
  const { path, params } = parseHash();
  for (const [pattern, module, section] of ROUTES) {
    const match = pattern.exec(path);
    if (match) {
      markNav(section);
      const args = match.slice(1).map(decodeURIComponent);
      view = module.mount(main, ctx, { params, args });
      focusHeading(main);
      return;
    }
  }
  markNav(null);
  main.append(Object.assign(document.createElement("h1"), { textContent: "Not found", tabIndex: -1 }));
  const back = Object.assign(document.createElement("a"), { href: "#/flags", textContent: "Back to the flags" });
  main.append(back);
  ctx.ready("not-found");
}

function markNav(section) {
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.dataset.section === section) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

let firstRoute = true;
function focusHeading(main) {
  // On navigation, move focus to the new page's heading so keyboard users start there.
  if (firstRoute) {
    firstRoute = false;
    return;
  }
  const heading = main.querySelector("h1");
  if (heading) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
}

// Leaving a page with unsaved edits asks first: a view says what would be lost with `unsaved()`
// (a sentence, or nothing). In-app navigation puts the address back and asks in a dialog; leaving
// the app (reload, closing the tab, another address) gets the browser's own question.
let shownHash = location.hash;
let leaving = false;

function unsavedWork() {
  return view && typeof view.unsaved === "function" ? view.unsaved() : "";
}

async function onHashChange() {
  const lost = leaving ? "" : unsavedWork();
  leaving = false;
  if (lost) {
    const target = location.hash;
    history.replaceState(history.state, "", shownHash); // no hashchange: the page stays as it is
    const leave = await askToLeave(lost);
    if (leave && target !== shownHash) {
      leaving = true;
      location.hash = target;
    }
    return;
  }
  shownHash = location.hash;
  route();
}

function askToLeave(lost) {
  return ask({
    title: "Leave this page?",
    text: `${lost} They are lost if you leave.`,
    confirmLabel: "Leave without saving",
    cancelLabel: "Stay on this page",
    danger: true,
  });
}

window.addEventListener("beforeunload", (event) => {
  if (!unsavedWork()) return;
  event.preventDefault();
  event.returnValue = "";
});

document.getElementById("signout").addEventListener("click", async () => {
  const lost = unsavedWork();
  if (lost && !(await askToLeave(lost))) return;
  signOut("", { endSession: true });
});
window.addEventListener("hashchange", onHashChange);
(async () => {
  if (!signedIn()) await resumePerson();
  if (signedIn()) startSession();
  else renderChrome();
  route();
})();
