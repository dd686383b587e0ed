/**
 * Vexil browser client: flag values resolved by the server for one context, kept live over
 * Server-Sent Events (`GET /stream`, see docs/live.md). A dependency-free ES module, served by
 * Vexil itself at `/web/client.js` and installable as the npm package `@vexil/client`, whose
 * `@vexil/client/solid` and `@vexil/client/react` build `useFeatureFlag` on `watch` (docs/packaging.md).
 *
 * The browser only ever sees the value resolved for its own context (`active`, `variant`,
 * `payload`, `reason`): rules, percentages and allowlists stay on the server.
 *
 * It tells the server which values the page read, for the flags' usage counts (docs/usage.md):
 * every `enabled()`, `variant()`, `payload()` and `value()` call of a server answer counts one read
 * of that flag and variant, kept in memory and posted to `POST /usage/reads` every
 * `metricsIntervalMs` (60 s), when the page is hidden (`navigator.sendBeacon`, which survives the
 * page's end), and on `close()`. A post that fails is retried with the next one.
 *
 * @example
 * import { createClient } from "https://flags.example.com/web/client.js";
 *
 * const vexil = createClient({
 *   url: "https://flags.example.com",
 *   context: { identifier: "user-42", environment: "production", app: "web", plan: "pro" },
 * });
 * const checkout = vexil.feature("new_checkout", { fallback: false });
 * render(checkout.enabled());                  // the fallback until the first answer
 * checkout.subscribe((flag) => render(flag.enabled()));
 * await vexil.ready;                           // resolved at the first snapshot
 *
 * @module vexil
 */

/**
 * What the server resolved for one flag and this client's context.
 * @typedef {object} FlagResult
 * @property {boolean} active
 * @property {string | null} variant
 * @property {unknown} payload
 * @property {string} reason
 */

/**
 * Who is asking. `identifier`, `environment` and `app` are reserved; every other key, and every
 * key of `attributes`, is an attribute. On the wire they are query parameters, so attribute
 * values arrive at the server as strings.
 * @typedef {{identifier?: string, environment?: string, app?: string,
 *            attributes?: Record<string, string | number | boolean>,
 *            [attribute: string]: unknown}} Context
 */

/**
 * What a flag reads as before the server has answered, and after it is deleted. `true`/`false`
 * is short for `{enabled: true, variant: "on"}` / `{enabled: false, variant: "off"}`, the
 * variants of a boolean flag.
 * @typedef {boolean | {enabled?: boolean, variant?: string | null, payload?: unknown}} Fallback
 */

/**
 * @typedef {object} ClientOptions
 * @property {string} [url] The Vexil server, e.g. `"https://flags.example.com"`; default: the
 *   server this module was loaded from (give it when the module comes from npm, bundled).
 * @property {Context} [context] Who is asking; change it later with `setContext`.
 * @property {string} [token] A client token, for servers that require one. Sent as `?token=`,
 *   since `EventSource` cannot send headers.
 * @property {number} [minRetryMs] First reconnection delay after an error (default 1000).
 * @property {number} [maxRetryMs] Ceiling of the exponential backoff (default 30000).
 * @property {typeof EventSource} [EventSource] An `EventSource` implementation (a polyfill, a test
 *   double); default: the browser's.
 * @property {number} [metricsIntervalMs] How often the values read are posted to the server, in
 *   milliseconds (default 60000); `0` posts none.
 */

const RESERVED = ["identifier", "environment", "app"];
// Distinct (flag, variant, active) reads kept between two posts; reads of others are dropped past it.
const MAX_READS = 1000;

/**
 * Connect to Vexil and keep every flag's value for `context` current.
 *
 * Never throws after construction and never rejects: until the first snapshot, and whenever the
 * server is unreachable, flags read as their last known value or, before any, their fallback.
 *
 * @param {ClientOptions} [options]
 * @returns {VexilClient}
 * @example
 * const vexil = createClient({ url: "http://127.0.0.1:8000", context: { identifier: "user-7" } });
 */
export function createClient(options = {}) {
  return new VexilClient(options);
}

/** One connection to `/stream`; create it with {@link createClient}. */
export class VexilClient {
  /** @param {ClientOptions} options */
  constructor({
    url,
    context = {},
    token,
    minRetryMs = 1000,
    maxRetryMs = 30000,
    EventSource: Source,
    metricsIntervalMs = 60000,
  } = {}) {
    /** @type {string} */
    this.url = (url ?? new URL("..", import.meta.url).href).replace(/\/+$/, "");
    /** @type {Map<string, FlagResult>} */
    this._results = new Map();
    /** @type {Map<string, Set<Feature>>} features with subscribers, by flag key */
    this._watched = new Map();
    /** @type {Map<string, Watch>} the shared subscriptions of `watch`, by flag key */
    this._watches = new Map();
    this._context = context;
    this._token = token;
    this._minRetryMs = minRetryMs;
    this._maxRetryMs = maxRetryMs;
    this._Source = Source ?? globalThis.EventSource;
    /** @type {EventSource | null} */
    this._source = null;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this._timer = undefined;
    this._failures = 0;
    /** @type {string | null} id of the last event applied, sent back when reconnecting */
    this._lastEventId = null;
    this._closed = false;
    /** @type {(client: VexilClient) => void} */
    let resolveReady = () => {};
    /**
     * Resolved with the client when the first snapshot has been applied. It never rejects: an
     * unreachable server means fallbacks, not an error.
     * @type {Promise<VexilClient>}
     */
    this.ready = new Promise((resolve) => {
      resolveReady = resolve;
    });
    this._resolveReady = resolveReady;
    /** `false` until the first snapshot has been applied. */
    this.isReady = false;
    /** @type {Map<string, Read>} reads since the last post, by flag, variant and active */
    this._reads = new Map();
    this._readsSince = new Date().toISOString();
    this._reporting = metricsIntervalMs > 0 && typeof fetch === "function";
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this._reportTimer = undefined;
    // `visibilitychange` to hidden is the last event a page is sure to get (tab switched, app
    // backgrounded, page closed); `pagehide` covers browsers that skip it on unload.
    this._onHidden = (/** @type {Event} */ event) => {
      if (event.type === "pagehide" || globalThis.document?.visibilityState === "hidden") this._report(true);
    };
    if (this._reporting) {
      this._reportTimer = setInterval(() => this._report(false), metricsIntervalMs);
      // In Node (server rendering, tests) the timer must not keep the process alive.
      if (typeof this._reportTimer === "object") this._reportTimer.unref?.();
      globalThis.document?.addEventListener("visibilitychange", this._onHidden);
      globalThis.addEventListener?.("pagehide", this._onHidden);
    }
    this._connect();
  }

  /**
   * A handle on one flag. Cheap: make one wherever it is needed.
   * @param {string} key The flag's name.
   * @param {{fallback?: Fallback}} [options]
   * @returns {Feature}
   * @example
   * const banner = vexil.feature("banner_color", { fallback: { variant: "blue", payload: { hex: "#00f" } } });
   * banner.variant(); // "blue" until the server answers, then what it resolved
   */
  feature(key, { fallback = false } = {}) {
    return new Feature(this, key, normalizeFallback(fallback));
  }

  /**
   * Call `listener()` whenever flag `key` changes for this context (as `Feature#subscribe` would),
   * through one subscription per flag shared by every listener. That subscription ends `ttl`
   * milliseconds after its last listener stops (at once by default), unless a new listener comes
   * first: a component that unmounts and mounts again soon after keeps it. The reactive bindings
   * (`@vexil/client/solid`, `@vexil/client/react`) are built on it.
   * @param {string} key The flag's name.
   * @param {() => void} listener
   * @param {{ttl?: number}} [options]
   * @returns {() => void} Stops this listener (calling it again does nothing).
   * @example
   * const stop = vexil.watch("dark_mode", () => render(), { ttl: 5000 });
   */
  watch(key, listener, { ttl = 0 } = {}) {
    let shared = this._watches.get(key);
    if (shared === undefined) {
      /** @type {Set<() => void>} */
      const listeners = new Set();
      const stop = this.feature(key).subscribe(() => {
        for (const each of [...listeners]) callSafely(each);
      });
      shared = { listeners, stop, timer: undefined };
      this._watches.set(key, shared);
    }
    clearTimeout(shared.timer);
    shared.timer = undefined;
    // Wrapped, so that the same function given twice is two listeners, stopped one at a time.
    const entry = () => listener();
    shared.listeners.add(entry);
    const watch = shared;
    return () => {
      if (!watch.listeners.delete(entry) || watch.listeners.size > 0) return;
      const end = () => {
        watch.timer = undefined;
        if (watch.listeners.size > 0) return;
        if (this._watches.get(key) === watch) this._watches.delete(key);
        watch.stop();
      };
      if (ttl > 0 && !this._closed) watch.timer = setTimeout(end, ttl);
      else end();
    };
  }

  /**
   * The flags this client currently follows for someone (a `subscribe` or a `watch` still
   * running, or within its `ttl`), sorted: what a page listens to, for diagnostics and tests.
   * @returns {string[]}
   */
  watching() {
    return [...this._watched.keys()].sort();
  }

  /**
   * `"connecting"`, `"open"` (the stream is connected) or `"closed"` (after `close()`).
   * @returns {"connecting" | "open" | "closed"}
   */
  get status() {
    if (this._closed) return "closed";
    return this._source?.readyState === 1 ? "open" : "connecting";
  }

  /**
   * Evaluate for another context from now on (after a login, say). Values stay as they are until
   * the snapshot for the new context arrives; subscribers hear of the flags whose value changed.
   * @param {Context} context
   */
  setContext(context) {
    this._report(false); // what was read so far was read for the previous context
    this._context = context;
    this._lastEventId = null; // event ids resume a context's stream, not another's
    if (this._closed) return;
    this._disconnect();
    this._failures = 0;
    this._connect();
  }

  /** Stop listening for changes. Flags keep reading as their last value; subscribers are dropped. */
  close() {
    this._report(false);
    clearInterval(this._reportTimer);
    globalThis.document?.removeEventListener("visibilitychange", this._onHidden);
    globalThis.removeEventListener?.("pagehide", this._onHidden);
    this._reporting = false;
    this._closed = true;
    this._disconnect();
    for (const watch of this._watches.values()) clearTimeout(watch.timer);
    this._watches.clear();
    this._watched.clear();
  }

  /**
   * Count one read of `key`'s server answer `result`.
   * @param {string} key
   * @param {FlagResult} result
   */
  _read(key, result) {
    if (!this._reporting) return;
    const id = `${key}\u0000${result.variant}\u0000${result.active}`;
    const read = this._reads.get(id);
    if (read !== undefined) read.n += 1;
    else if (this._reads.size < MAX_READS) this._reads.set(id, { key, variant: result.variant, active: result.active, n: 1 });
  }

  /**
   * Post the reads counted so far (nothing when there are none): by `navigator.sendBeacon` when the
   * page is going away, else by `fetch`, whose failure keeps the reads for the next post.
   * @param {boolean} leaving
   */
  _report(leaving) {
    if (!this._reporting || this._reads.size === 0) return;
    const reads = this._reads;
    const stop = new Date().toISOString();
    /** @type {Record<string, {yes: number, no: number, variants: Record<string, number>}>} */
    const toggles = {};
    for (const { key, variant, active, n } of reads.values()) {
      const toggle = (toggles[key] ??= { yes: 0, no: 0, variants: {} });
      if (active) toggle.yes += n;
      else toggle.no += n;
      if (variant != null) toggle.variants[variant] = (toggle.variants[variant] ?? 0) + n;
    }
    const { app, environment } = this._context ?? {};
    const body = JSON.stringify({
      appName: app || "default",
      instanceId: "browser",
      sdkVersion: "vexil-browser-client",
      ...(environment ? { environment } : {}),
      bucket: { start: this._readsSince, stop, toggles },
    });
    this._reads = new Map();
    this._readsSince = stop;
    const url = `${this.url}/usage/reads${this._token ? `?token=${encodeURIComponent(this._token)}` : ""}`;
    // A text body (no Content-Type of our own) keeps the post "simple": no CORS preflight.
    if (leaving && typeof navigator !== "undefined" && navigator.sendBeacon?.(url, body)) return;
    fetch(url, { method: "POST", body, keepalive: true }).then(
      (response) => {
        if (response.status >= 500) this._keep(reads);
      },
      () => this._keep(reads),
    );
  }

  /**
   * Reads a post could not deliver, added back for the next one.
   * @param {Map<string, Read>} reads
   */
  _keep(reads) {
    for (const [id, read] of reads) {
      const now = this._reads.get(id);
      if (now !== undefined) now.n += read.n;
      else if (this._reads.size < MAX_READS) this._reads.set(id, read);
    }
  }

  /** @returns {string} */
  _streamUrl() {
    const params = new URLSearchParams();
    const { attributes, ...rest } = this._context ?? {};
    for (const [key, value] of Object.entries(rest)) {
      if (value == null) continue;
      // Prefixed, so that an attribute can never be mistaken for a reserved or transport parameter.
      params.append(RESERVED.includes(key) ? key : `attributes.${key}`, String(value));
    }
    for (const [key, value] of Object.entries(attributes ?? {})) {
      if (value != null) params.append(`attributes.${key}`, String(value));
    }
    if (this._token) params.append("token", this._token);
    if (this._lastEventId) params.append("last_event_id", this._lastEventId);
    return `${this.url}/stream?${params}`;
  }

  _connect() {
    if (this._closed || typeof this._Source !== "function") return; // no EventSource: fallbacks only
    const source = new this._Source(this._streamUrl());
    this._source = source;
    source.addEventListener("open", () => {
      this._failures = 0;
    });
    for (const type of ["snapshot", "update"]) {
      source.addEventListener(type, (event) => {
        if (this._source === source) this._onEvent(/** @type {MessageEvent} */ (event), type === "snapshot");
      });
    }
    // EventSource retries a dropped connection by itself, at a fixed interval, but gives up for
    // good on an HTTP error (a 401, a 502 from a proxy, a restart behind a load balancer). Reconnect
    // ourselves in both cases, with exponential backoff and jitter so that a fleet of browsers does
    // not stampede a recovering server, passing the last event id so that nothing is missed.
    source.addEventListener("error", () => {
      if (this._source !== source) return;
      this._disconnect();
      const ceiling = Math.min(this._maxRetryMs, this._minRetryMs * 2 ** this._failures);
      this._failures += 1;
      this._timer = setTimeout(() => this._connect(), ceiling / 2 + (Math.random() * ceiling) / 2);
    });
  }

  _disconnect() {
    clearTimeout(this._timer);
    this._timer = undefined;
    this._source?.close();
    this._source = null;
  }

  /**
   * @param {MessageEvent} event
   * @param {boolean} snapshot
   */
  _onEvent(event, snapshot) {
    /** @type {Record<string, FlagResult | null>} */
    let flags;
    try {
      flags = JSON.parse(event.data).flags;
    } catch {
      console.warn("vexil: ignored a malformed event", event.data);
      return;
    }
    if (flags === null || typeof flags !== "object") return;
    if (event.lastEventId) this._lastEventId = event.lastEventId;
    const before = this._results;
    const after = new Map(snapshot ? [] : before);
    for (const [key, result] of Object.entries(flags)) {
      if (result === null) after.delete(key);
      else after.set(key, deepFreeze(result));
    }
    this._results = after;
    const changed = new Set([...before.keys(), ...after.keys()]);
    for (const key of changed) {
      if (JSON.stringify(before.get(key)) === JSON.stringify(after.get(key))) changed.delete(key);
    }
    if (!this.isReady) {
      this.isReady = true;
      this._resolveReady(this);
    }
    for (const key of changed) {
      for (const feature of this._watched.get(key) ?? []) feature._check();
    }
  }
}

/** One flag as this client sees it; get one from {@link VexilClient#feature}. */
export class Feature {
  /**
   * @param {VexilClient} client
   * @param {string} key
   * @param {{enabled: boolean, variant: string | null, payload: unknown}} fallback
   */
  constructor(client, key, fallback) {
    this._client = client;
    /** The flag's name. */
    this.key = key;
    this._fallback = fallback;
    /** @type {Set<(feature: Feature) => void>} */
    this._callbacks = new Set();
    this._seen = "";
    /** @type {FlagValue | undefined} */
    this._value = undefined;
    /** @type {FlagResult | undefined} the answer `_value` was read from */
    this._valueOf = undefined;
  }

  /** @returns {FlagResult | undefined} */
  _result() {
    return this._client._results.get(this.key);
  }

  /**
   * The server's answer, counted as one read of it (the usage reports).
   * @returns {FlagResult | undefined}
   */
  _readResult() {
    const result = this._client._results.get(this.key);
    if (result) this._client._read(this.key, result);
    return result;
  }

  /**
   * Whether the flag is on for this context (the server's `active`), else the fallback's `enabled`.
   * @returns {boolean}
   */
  enabled() {
    const result = this._readResult();
    return result ? result.active : this._fallback.enabled;
  }

  /**
   * The variant served to this context, else the fallback's.
   * @returns {string | null}
   */
  variant() {
    const result = this._readResult();
    return result ? result.variant : this._fallback.variant;
  }

  /**
   * The served variant's payload (frozen: do not modify it), else the fallback's.
   * @returns {unknown}
   */
  payload() {
    const result = this._readResult();
    return result ? result.payload : this._fallback.payload;
  }

  /**
   * Why the server decided so (`"enabled"`, `"disabled"`, `"rule_match"`...), or `null` while the
   * fallback is in use (before the first answer, or for a flag the server does not have).
   * @returns {string | null}
   */
  reason() {
    return this._result()?.reason ?? null;
  }

  /**
   * Everything this handle reads, in one frozen object that stays the same (`===`) until the
   * server's answer for the flag changes: what `useSyncExternalStore` needs of a snapshot.
   * @returns {FlagValue}
   */
  value() {
    const result = this._readResult();
    if (this._value === undefined || result !== this._valueOf) {
      const fallback = this._fallback;
      this._valueOf = result;
      this._value = Object.freeze({
        enabled: result ? result.active : fallback.enabled,
        variant: result ? result.variant : fallback.variant,
        payload: result ? result.payload : fallback.payload,
        reason: result?.reason ?? null,
      });
    }
    return this._value;
  }

  /**
   * Call `callback(feature)` whenever anything this handle reads changes (`enabled`, `variant`,
   * `payload` or `reason`): the first answer, a change made on the server, a deletion (back to the
   * fallback). Not called at subscription: read the current value then.
   * @param {(feature: Feature) => void} callback
   * @returns {() => void} Unsubscribes.
   * @example
   * const stop = vexil.feature("dark_mode").subscribe((f) => document.body.classList.toggle("dark", f.enabled()));
   * stop();
   */
  subscribe(callback) {
    const watched = this._client._watched;
    if (this._callbacks.size === 0) {
      this._seen = this._state();
      if (!watched.has(this.key)) watched.set(this.key, new Set());
      watched.get(this.key)?.add(this);
    }
    // Wrapped, so that the same function subscribed twice is two subscriptions, unsubscribed one at a time.
    /** @param {Feature} feature */
    const entry = (feature) => callback(feature);
    this._callbacks.add(entry);
    return () => {
      this._callbacks.delete(entry);
      if (this._callbacks.size > 0) return;
      const features = watched.get(this.key);
      features?.delete(this);
      if (features?.size === 0) watched.delete(this.key);
    };
  }

  _state() {
    const result = this._result(); // not a read of the page's: not counted
    const fallback = this._fallback;
    return JSON.stringify(result ? [result.active, result.variant, result.payload, result.reason] : [fallback.enabled, fallback.variant, fallback.payload, null]);
  }

  _check() {
    const state = this._state();
    if (state === this._seen) return;
    this._seen = state;
    for (const callback of [...this._callbacks]) callSafely(() => callback(this));
  }
}

/**
 * What a flag reads as, all at once (see {@link Feature#value}).
 * @typedef {Readonly<{enabled: boolean, variant: string | null, payload: unknown, reason: string | null}>} FlagValue
 */

/**
 * Reads of one flag's answer since the last post.
 * @typedef {{key: string, variant: string | null, active: boolean, n: number}} Read
 */

/**
 * One shared subscription of {@link VexilClient#watch}.
 * @typedef {{listeners: Set<() => void>, stop: () => void, timer: ReturnType<typeof setTimeout> | undefined}} Watch
 */

/**
 * Call `callback`; if it throws, report the error without stopping the caller's loop: one failing
 * subscriber must not starve the others, and the error still reaches the console.
 * @param {() => void} callback
 */
function callSafely(callback) {
  try {
    callback();
  } catch (error) {
    setTimeout(() => {
      throw error;
    });
  }
}

/**
 * @param {Fallback} fallback
 * @returns {{enabled: boolean, variant: string | null, payload: unknown}}
 */
function normalizeFallback(fallback) {
  if (typeof fallback === "boolean") return { enabled: fallback, variant: fallback ? "on" : "off", payload: null };
  const { enabled = false, variant = null, payload = null } = fallback ?? {};
  return { enabled, variant, payload: deepFreeze(payload) };
}

/**
 * @template T
 * @param {T} value
 * @returns {T}
 */
function deepFreeze(value) {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
