// A flag as its page edits it (the draft: what was typed, possibly invalid) and back to the fields
// of PATCH /flags/{name}. Only the fields that differ from the stored flag are sent.

import { conditionDraft, conditionFromDraft } from "./conditions.js";

/** The PATCHed fields; apps are changed at once through their own endpoints. */
export const FIELDS = [
  "description",
  "tags",
  "enabled",
  "rollout_percentage",
  "variants",
  "default_variant",
  "allowlist",
  "rules",
  "environments",
  "prerequisites",
  "salt",
  "kind",
  "owner",
];

export function fromDoc(doc, environments) {
  const envs = {};
  for (const env of new Set([...environments, ...Object.keys(doc.environments)])) {
    const override = doc.environments[env];
    const { enabled, rollout_percentage: rollout, rules, allowlist, ...rest } = override || {};
    // Rules and allowlist: null inherits the flag's own; a list (even empty) is this environment's.
    envs[env] = {
      present: override !== undefined,
      enabled: enabled === undefined ? "inherit" : enabled ? "on" : "off",
      rollout: rollout === undefined ? "" : String(rollout),
      rules: rules === undefined || rules === null ? null : rules.map(ruleDraft),
      allowlist: allowlist === undefined || allowlist === null ? null : allowlistDraft(allowlist),
      rest,
    };
  }
  return {
    description: doc.description,
    tags: doc.tags.join(", "),
    enabled: doc.enabled,
    rollout: String(doc.rollout_percentage),
    variants: doc.variants.map((v) => ({
      name: v.name,
      weight: String(v.weight),
      payload: v.payload === null || v.payload === undefined ? "" : JSON.stringify(v.payload, null, 2),
    })),
    default_variant: doc.default_variant,
    allowlist: allowlistDraft(doc.allowlist),
    rules: doc.rules.map(ruleDraft),
    environments: envs,
    prerequisites: (doc.prerequisites || []).map((p) => ({
      flag: p.flag,
      active: p.active !== false,
      variants: (p.variants || []).join(", "),
    })),
    salt: doc.salt,
    // The server's defaults, for a document written before flags had a lifecycle.
    kind: doc.kind ?? "release",
    owner: doc.owner ?? "",
  };
}

function allowlistDraft(allowlist) {
  return Object.entries(allowlist).map(([identifier, variant]) => ({ identifier, variant }));
}

export function ruleDraft(rule) {
  return {
    rollout: String(rule.rollout_percentage),
    serve: rule.serve || "",
    conditions: (rule.conditions || []).map(conditionDraft),
  };
}

/** `{fields, errors}`: the PATCH fields, and `[{path, message}]` for what cannot be sent. */
export function toFields(draft) {
  const errors = [];
  const fail = (path, message) => errors.push({ path, message });
  const fields = {
    description: draft.description,
    tags: draft.tags
      .split(",")
      .map((tag) => tag.trim())
      .filter(Boolean),
    enabled: draft.enabled,
    rollout_percentage: percentage(draft.rollout, "rollout_percentage", fail),
    variants: draft.variants.map((variant, index) => ({
      name: variant.name.trim(),
      payload: payload(variant.payload, `variants.${index}.payload`, fail),
      weight: weight(variant.weight, `variants.${index}.weight`, fail),
    })),
    default_variant: draft.default_variant,
    allowlist: allowlist(draft.allowlist, "allowlist", fail),
    rules: rulesFields(draft.rules, "rules", fail),
    environments: environments(draft.environments, fail),
    prerequisites: draft.prerequisites.map((p, index) => {
      if (!p.flag) fail(`prerequisites.${index}.flag`, "Pick a flag (or remove the row).");
      const variants = p.variants
        .split(",")
        .map((v) => v.trim())
        .filter(Boolean);
      return { flag: p.flag, active: p.active, variants: variants.length ? variants : null };
    }),
    salt: draft.salt,
    kind: draft.kind,
    owner: draft.owner.trim(),
  };
  if (!draft.salt.trim()) fail("salt", "A salt of 1 to 200 characters (the flag's name is the usual one).");
  return { fields, errors };
}

function rulesFields(rules, at, fail) {
  return rules.map((rule, index) => ({
    conditions: rule.conditions.map((condition, position) => {
      const parsed = conditionFromDraft(condition);
      if (parsed.error) fail(`${at}.${index}.conditions.${position}.value`, parsed.error);
      return parsed.condition || null;
    }),
    rollout_percentage: percentage(rule.rollout, `${at}.${index}.rollout_percentage`, fail),
    serve: rule.serve || null,
  }));
}

/** The fields of `fields` that differ from `base` (both from `toFields`). */
export function changedFields(base, fields) {
  return FIELDS.filter((key) => canonical(base[key]) !== canonical(fields[key]));
}

/** JSON with sorted keys, to compare documents whatever their key order. */
export function canonical(value) {
  return JSON.stringify(value, (key, v) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v,
  );
}

function percentage(text, path, fail) {
  const trimmed = String(text).trim();
  const value = Number(trimmed);
  if (trimmed === "" || !Number.isFinite(value) || value < 0 || value > 100) {
    fail(path, "A percentage from 0 to 100.");
    return null;
  }
  return value;
}

function weight(text, path, fail) {
  const value = Number(String(text).trim());
  if (!Number.isInteger(value) || value < 0) {
    fail(path, "A whole number, 0 or more.");
    return null;
  }
  return value;
}

/** A payload as typed: empty is no payload; anything else must be JSON. */
export function payload(text, path, fail) {
  if (text.trim() === "") return null;
  try {
    return JSON.parse(text);
  } catch (error) {
    fail(path, `Not valid JSON: ${error.message}`);
    return null;
  }
}

function allowlist(rows, at, fail) {
  const result = {};
  rows.forEach((row, index) => {
    const identifier = row.identifier.trim();
    if (!identifier) {
      fail(`${at}.${index}`, "Enter an identifier (or remove the row).");
      return;
    }
    if (identifier in result) fail(`${at}.${index}`, `${identifier} is listed twice.`);
    result[identifier] = row.variant;
  });
  return result;
}

function environments(envs, fail) {
  const result = {};
  for (const [env, draft] of Object.entries(envs)) {
    const override = { ...draft.rest };
    if (draft.enabled !== "inherit") override.enabled = draft.enabled === "on";
    if (draft.rollout.trim() !== "") {
      override.rollout_percentage = percentage(draft.rollout, `environments.${env}.rollout_percentage`, fail);
    }
    if (draft.rules !== null) override.rules = rulesFields(draft.rules, `environments.${env}.rules`, fail);
    if (draft.allowlist !== null) {
      override.allowlist = allowlist(draft.allowlist, `environments.${env}.allowlist`, fail);
    }
    if (draft.present || Object.keys(override).length) result[env] = override;
  }
  return result;
}
