// What every view shares: the environments and the flags, kept current by the change stream.

export function createStore() {
  const listeners = new Set();
  const segmentListeners = new Set();
  const store = {
    environments: [],
    /** The protected environments: name → how many approvals a change there needs. */
    protected: new Map(),
    flags: new Map(),
    /** Every segment as last reported by the change stream (null: not yet). */
    segments: null,

    /** `fn(segments)` when the stream reports segments; returns the unsubscribe function. */
    subscribeSegments(fn) {
      segmentListeners.add(fn);
      return () => segmentListeners.delete(fn);
    },

    setSegments(segments) {
      store.segments = segments;
      for (const fn of [...segmentListeners]) fn(segments);
    },

    /** `fn(names)` after flags change; returns the unsubscribe function. */
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },

    /** A newer document of a flag (an older one, from a slower response, is ignored). */
    upsert(doc) {
      const known = store.flags.get(doc.name);
      if (known && known.created_at === doc.created_at && known.version > doc.version) return;
      store.flags.set(doc.name, doc);
      notify([doc.name]);
    },

    remove(name) {
      if (store.flags.delete(name)) notify([name]);
    },

    /** A change event: `{name: doc | null}`. */
    apply(changes) {
      const names = [];
      for (const [name, doc] of Object.entries(changes)) {
        if (doc === null) {
          if (store.flags.delete(name)) names.push(name);
        } else {
          store.flags.set(name, doc);
          names.push(name);
        }
      }
      if (names.length) notify(names);
    },

    /** The whole set (the stream's `config`, on every (re)connect): only what differs is announced. */
    replaceAll(docs) {
      const names = [];
      const seen = new Set();
      for (const doc of docs) {
        seen.add(doc.name);
        const known = store.flags.get(doc.name);
        if (!known || known.version !== doc.version || known.updated_at !== doc.updated_at) {
          store.flags.set(doc.name, doc);
          names.push(doc.name);
        }
      }
      for (const name of [...store.flags.keys()]) {
        if (!seen.has(name)) {
          store.flags.delete(name);
          names.push(name);
        }
      }
      if (names.length) notify(names);
    },

    clear() {
      store.flags.clear();
      store.environments = [];
      store.protected.clear();
      store.segments = null;
    },
  };

  function notify(names) {
    for (const fn of [...listeners]) fn(names);
  }

  return store;
}

/** The flag's effective `enabled` in an environment ("" = the flag's own setting). */
export function effectiveEnabled(doc, env) {
  const override = env ? doc.environments[env] : undefined;
  return override && override.enabled !== undefined ? override.enabled : doc.enabled;
}

export function effectiveRollout(doc, env) {
  const override = env ? doc.environments[env] : undefined;
  return override && override.rollout_percentage !== undefined ? override.rollout_percentage : doc.rollout_percentage;
}

/** The flag's effective value of `key` ("rules" or "allowlist") in an environment. */
function effectiveTargeting(doc, env, key) {
  const override = env ? doc.environments[env] : undefined;
  return override && override[key] !== undefined && override[key] !== null ? override[key] : doc[key];
}

/**
 * What a flag does in an environment, in one word, the same on the list and on the flag's page:
 * "Off" (disabled), "On" (enabled for everyone the rules do not decide otherwise), "Partial"
 * (a rollout between 0 and 100 %), "Targeted" (0 %: only its allowlist and rules serve anyone),
 * "Nobody" (enabled, but 0 % and nothing targets anyone). A disabled or 0 % flag never reads "On".
 */
export function stateOf(doc, env) {
  if (!effectiveEnabled(doc, env)) return { key: "off", label: "Off", detail: "disabled" };
  const rollout = effectiveRollout(doc, env);
  if (rollout >= 100) return { key: "on", label: "On", detail: "enabled, 100 %" };
  if (rollout > 0) return { key: "partial", label: `${rollout}%`, detail: `enabled for ${rollout} % of users` };
  const targets =
    effectiveTargeting(doc, env, "rules").length + Object.keys(effectiveTargeting(doc, env, "allowlist")).length;
  return targets
    ? { key: "targeted", label: "Targeted", detail: "enabled at 0 %: only its allowlist and rules serve users" }
    : { key: "nobody", label: "0%", detail: "enabled at 0 % with no allowlist or rules: serves nobody" };
}
