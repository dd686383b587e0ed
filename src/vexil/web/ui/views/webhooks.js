// Webhooks (docs/webhooks.md): list, add (the secret is never shown again), delete, send a test
// event, and each webhook's delivery log. Admins only.

import { h } from "../dom.js";
import { clearErrors, showApiError, showError } from "../forms.js";
import { confirmButton } from "./confirm.js";

const OUTCOMES = { delivered: "Delivered", retry: "Will retry", failed: "Gave up" };

export function mount(main, ctx) {
  main.append(h("div", { class: "page-head" }, h("h1", {}, "Webhooks")));
  if (!ctx.isAdmin) {
    main.append(h("p", { class: "notice" }, "Webhooks can only be managed by an admin (an admin person, or an admin token)."));
    ctx.ready("webhooks");
    return {};
  }
  let selected = null;
  let reading = null; // the delivery log's read under way, if any (settles, never rejects)
  const list = h("div", {}, h("p", { class: "loading" }, "Loading…"));
  const log = h("div", { id: "webhook-log", "aria-live": "polite" });
  const input = (id, placeholder, type = "text") =>
    h("input", { id, type, autocomplete: "off", spellcheck: "false", placeholder });
  const url = input("new-webhook-url", "https://hooks.example.com/vexil", "url");
  const secret = input("new-webhook-secret", "at least 8 characters", "password");
  const flags = input("new-webhook-flags", "all flags");
  const environments = input("new-webhook-environments", "all environments");
  const actions = input("new-webhook-actions", "all actions");
  const format = h(
    "select",
    { id: "new-webhook-format" },
    h("option", { value: "vexil" }, "Vexil: the signed audit event (JSON)"),
    h("option", { value: "slack" }, "Slack: a line of text for an incoming webhook"),
  );
  const field = (key, label, control, hint) =>
    h("div", { class: "field", dataset: { path: key } }, h("label", { for: control.id }, label), control, hint ? h("p", { class: "hint" }, hint) : null);
  const form = h(
    "form",
    { class: "card", novalidate: true, onsubmit: onCreate },
    h("h2", {}, "New webhook"),
    h(
      "p",
      { class: "hint" },
      "Every change is POSTed to the URL, signed with the secret (header Vexil-Signature), and retried for 24 hours until it answers 2xx.",
    ),
    h("div", { class: "row" }, field("url", "URL", url), field("secret", "Secret", secret), field("format", "Format", format)),
    h(
      "div",
      { class: "row" },
      field("events.flags", "Only flags", flags, "Comma-separated; empty: all"),
      field("events.environments", "Only environments", environments, "Comma-separated; empty: all"),
      field("events.actions", "Only actions", actions, "create, update, toggle, delete…"),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Add webhook")),
    ),
    h("p", { class: "form-error", role: "alert" }),
  );
  main.append(form, list, log);
  refresh().then(() => ctx.ready("webhooks"));
  return {};

  async function refresh() {
    try {
      const { webhooks } = await ctx.api.get("/webhooks");
      show(webhooks);
      if (selected && !webhooks.some((hook) => hook.id === selected.id)) {
        selected = null;
        log.replaceChildren();
      }
    } catch (error) {
      list.replaceChildren(h("p", { class: "notice error", role: "alert" }, `Could not load webhooks: ${error.message}`));
    }
  }

  function describe(events) {
    const parts = Object.entries(events).map(([key, values]) => `${key}: ${values.join(", ")}`);
    return parts.length ? parts.join("; ") : h("span", { class: "hint" }, "every event");
  }

  function show(webhooks) {
    if (!webhooks.length) {
      list.replaceChildren(h("p", { class: "empty" }, "No webhooks yet: add one above to hear about every change."));
      return;
    }
    const rows = webhooks.map((hook) =>
      h(
        "tr",
        { dataset: { id: String(hook.id) } },
        h("th", { scope: "row" }, h("code", {}, hook.url)),
        h("td", { "data-label": "Events" }, describe(hook.events)),
        h("td", { "data-label": "Format" }, hook.format === "slack" ? "Slack" : "Vexil"),
        h("td", { "data-label": "Added" }, `${new Date(hook.created_at).toLocaleString()} by ${hook.created_by}`),
        h("td", { class: "webhook-actions" }, h("div", { class: "row-actions" }, ...rowButtons(hook))),
      ),
    );
    list.replaceChildren(
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { id: "webhooks-table", class: "cards" },
          h("thead", {}, h("tr", {}, ["URL", "Events", "Format", "Added", ""].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, rows),
        ),
      ),
    );
  }

  function rowButtons(hook) {
    return [
      h("button", { type: "button", id: `test-webhook-${hook.id}`, onclick: () => sendTest(hook) }, "Send test event"),
      h("button", { type: "button", id: `log-webhook-${hook.id}`, onclick: () => showLog(hook) }, "Delivery log"),
      confirmButton({
        id: `delete-webhook-${hook.id}`,
        label: "Delete…",
        ariaLabel: `Delete the webhook to ${hook.url}…`,
        question: `Delete the webhook to ${hook.url}? Nothing more is sent to it, and its pending deliveries are dropped.`,
        confirmLabel: "Delete webhook",
        action: async () => {
          if (selected?.id === hook.id) {
            // Its log goes with it: stop reading it (a test event's log is read again and again),
            // and let a read under way finish first, so that no read asks for a deleted webhook.
            selected = null;
            log.replaceChildren();
            await reading;
          }
          await ctx.api.del(`/webhooks/${hook.id}`);
          await refresh();
        },
      }),
    ];
  }

  async function sendTest(hook) {
    try {
      const { event_id } = await ctx.api.post(`/webhooks/${hook.id}/test`);
      await showLog(hook, `Test event ${event_id} sent.`);
      // The deliverer sends it within a moment: read the log again once it has.
      for (let tries = 0; tries < 20 && selected?.id === hook.id; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        if (selected?.id !== hook.id) break;
        const entries = await showLog(hook, `Test event ${event_id} sent.`);
        if (entries.some((entry) => entry.event_id === event_id)) break;
      }
    } catch (error) {
      log.replaceChildren(h("p", { class: "notice error", role: "alert" }, `Could not send a test event: ${error.message}`));
    }
  }

  async function showLog(hook, note) {
    selected = hook;
    let deliveries = [];
    try {
      reading = ctx.api.get(`/webhooks/${hook.id}/deliveries`).catch((error) => error);
      const answer = await reading;
      if (answer instanceof Error) throw answer;
      ({ deliveries } = answer);
      if (selected?.id !== hook.id) return deliveries; // another log was asked for meanwhile
    } catch (error) {
      log.replaceChildren(h("p", { class: "notice error", role: "alert" }, `Could not load the delivery log: ${error.message}`));
      return [];
    }
    const rows = deliveries.map((entry) =>
      h(
        "tr",
        {},
        h("td", { "data-label": "Event" }, String(entry.event_id)),
        h("td", { "data-label": "Attempt" }, String(entry.attempt)),
        h("td", { "data-label": "At" }, new Date(entry.at).toLocaleString()),
        h(
          "td",
          { "data-label": "Result" },
          h("span", { class: `badge outcome-${entry.outcome}` }, OUTCOMES[entry.outcome]),
          " ",
          entry.status !== null ? `HTTP ${entry.status}` : entry.error,
        ),
        h("td", { "data-label": "Next retry" }, entry.next_retry ? new Date(entry.next_retry).toLocaleString() : "—"),
      ),
    );
    log.replaceChildren(
      h(
        "section",
        { class: "card" },
        h("h2", {}, `Delivery log: ${hook.url}`),
        note ? h("p", { role: "status" }, note) : null,
        rows.length
          ? h(
              "div",
              { class: "table-wrap" },
              h(
                "table",
                { id: "webhook-deliveries", class: "cards" },
                h("thead", {}, h("tr", {}, ["Event", "Attempt", "At", "Result", "Next retry"].map((t) => h("th", { scope: "col" }, t)))),
                h("tbody", {}, rows),
              ),
            )
          : h("p", { class: "empty" }, "No deliveries yet."),
      ),
    );
    return deliveries;
  }

  async function onCreate(event) {
    event.preventDefault();
    clearErrors(form);
    if (!url.value.trim()) {
      showError(form, "url", "Enter the URL to send events to.");
      url.focus();
      return;
    }
    if (secret.value.length < 8) {
      showError(form, "secret", "Enter a secret of at least 8 characters: receivers check signatures with it.");
      secret.focus();
      return;
    }
    const events = {};
    for (const [key, control] of [["flags", flags], ["environments", environments], ["actions", actions]]) {
      const names = control.value.split(",").map((name) => name.trim()).filter(Boolean);
      if (names.length) events[key] = names;
    }
    try {
      await ctx.api.post("/webhooks", { url: url.value.trim(), secret: secret.value, events, format: format.value });
      for (const control of [url, secret, flags, environments, actions]) control.value = "";
      await refresh();
    } catch (error) {
      showApiError(form, error);
    }
  }
}
