// The admin UI: session, hash routing (#/flags, #/flags/NAME, #/cleanup, #/segments, #/changes, #/tokens,
// #/sdks, #/audit), the shared store and the live change stream.

import { createApi } from "./api.js";
import { loadOperators } from "./conditions.js";
import { followChanges } from "./live.js";
import { createStore } from "./store.js";
import * as audit from "./views/audit.js";
import * as changes from "./views/changes.js";
import * as cleanup from "./views/cleanup.js";
import * as flag from "./views/flag.js";
import * as flags from "./views/flags.js";
import * as sdks from "./views/sdks.js";
import * as segments from "./views/segments.js";
import * as signin from "./views/signin.js";
import * as tokens from "./views/tokens.js";

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
  [/^\/sdks$/, sdks, "sdks"],
  [/^\/audit$/, audit, "audit"],
];

const session = loadSession();
const store = createStore();
const api = createApi(session, {
  onUnauthorized: () => signOut("Your token is no longer accepted (revoked?): sign in again."),
});

let view = null;
let stopLive = null;
let loading = null;
let signinNotice = "";

const ctx = {
  api,
  store,
  session,
  get readOnly() {
    return session.role !== "admin";
  },
  /** Resolves once environments are known. */
  environments: null,
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
  },
  /** The view is interactive: marks the performance timeline and `main[data-ready]` (for tests). */
  ready(name) {
    performance.mark(`vexil:ready:${name}`);
    document.getElementById("main").dataset.ready = name;
  },
  signIn(token, role) {
    session.token = token;
    session.role = role;
    sessionStorage.setItem(SESSION_KEY, JSON.stringify({ token, role }));
    startSession();
    const target = location.hash && !location.hash.startsWith("#/signin") ? location.hash : "#/flags";
    ctx.navigate(target);
  },
  signOut: () => signOut(""),
  takeSigninNotice() {
    const notice = signinNotice;
    signinNotice = "";
    return notice;
  },
};

function loadSession() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
    if (saved && typeof saved.token === "string") return { token: saved.token, role: saved.role };
  } catch {
    // a malformed entry: signed out
  }
  return { token: null, role: null };
}

function startSession() {
  store.clear();
  ctx.environments = api.get("/environments").then((body) => {
    store.environments = body.environments.map((env) => env.name);
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

function signOut(notice) {
  if (stopLive) stopLive();
  stopLive = null;
  session.token = null;
  session.role = null;
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
  const signedIn = Boolean(session.token);
  document.getElementById("nav").hidden = !signedIn;
  document.getElementById("session").hidden = !signedIn;
  document.getElementById("readonly").hidden = !signedIn || session.role === "admin";
  document.getElementById("role").textContent = signedIn
    ? session.role === "admin"
      ? "Admin"
      : "Read-only (server token)"
    : "";
  document.body.dataset.role = signedIn ? session.role : "";
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
  if (!session.token) {
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

document.getElementById("signout").addEventListener("click", () => signOut(""));
window.addEventListener("hashchange", route);
if (session.token) startSession();
else renderChrome();
route();
