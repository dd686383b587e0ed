// Change requests (#/changes, #/changes/ID): the writes waiting for approval in protected
// environments. The list filters by state; a request shows its changes as a diff against the flags
// as they are now, its reviews and comments, and the actions its state allows (approve, reject,
// rebase, apply). Server tokens see everything and change nothing.

import { path, query } from "../api.js";
import { append, h, showJson } from "../dom.js";
import { clearErrors, showApiError } from "../forms.js";
import { describe as describeImpact } from "./impact.js";

const STATES = ["open", "approved", "draft", "applied", "rejected"];
const STATE_TEXT = { draft: "Draft", open: "Waiting for approval", approved: "Approved", applied: "Applied", rejected: "Rejected" };
const REVIEW_TEXT = {
  comment: "commented",
  approve: "approved",
  reject: "rejected",
  rebase: "rebased it on the flags as they are",
  open: "opened it for review",
  apply: "applied it",
};

export function mount(main, ctx, { params, args }) {
  if (args && args.length) return mountDetail(main, ctx, Number(args[0]));
  return mountList(main, ctx, params);
}

function stateBadge(state) {
  return h("span", { class: `badge state state-${state}`, dataset: { state } }, STATE_TEXT[state] || state);
}

function approvals(request) {
  return `${request.approvals.length} of ${request.required_approvals}`;
}

function when(stamp) {
  return h("time", { datetime: stamp, title: stamp }, new Date(stamp).toLocaleString());
}

// --- the list -------------------------------------------------------------------------------------

function mountList(main, ctx, params) {
  const wanted = params.get("state") || "";
  const tabs = h(
    "nav",
    { class: "tabs", "aria-label": "By state" },
    [["", "All"], ...STATES.map((state) => [state, STATE_TEXT[state]])].map(([state, text]) =>
      h(
        "a",
        { href: `#/changes${query({ state })}`, "aria-current": state === wanted ? "page" : null, dataset: { state } },
        text,
      ),
    ),
  );
  const list = h("div", { id: "changes" }, h("p", { class: "loading" }, "Loading…"));
  main.append(
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, "Change requests"),
      h(
        "p",
        { class: "hint" },
        "Changes to protected environments wait here until someone other than their author approves them.",
      ),
    ),
    tabs,
    list,
  );
  load().then(() => ctx.ready("changes"));
  return {};

  async function load() {
    try {
      const body = await ctx.api.get(`/change-requests${query({ state: wanted })}`);
      show(body.change_requests);
    } catch (error) {
      list.replaceChildren(h("p", { class: "notice error", role: "alert" }, `Could not load the change requests: ${error.message}`));
    }
  }

  function show(requests) {
    if (!requests.length) {
      list.replaceChildren(
        h(
          "p",
          { class: "empty" },
          wanted ? `No change request is ${STATE_TEXT[wanted].toLowerCase()}.` : "No change requests yet.",
        ),
      );
      return;
    }
    const rows = requests.map((request) =>
      h(
        "tr",
        { dataset: { id: request.id, state: request.state } },
        h("td", { "data-label": "Request" }, `#${request.id}`),
        h("th", { scope: "row" }, h("a", { href: `#/changes/${request.id}` }, request.title)),
        h("td", { "data-label": "State" }, stateBadge(request.state)),
        h("td", { "data-label": "Requested by" }, request.requester),
        h(
          "td",
          { "data-label": "Environments" },
          request.environments.length
            ? request.environments.map((env) => h("span", { class: "tag" }, env))
            : h("span", { class: "hint" }, "none"),
        ),
        h("td", { "data-label": "Approvals" }, approvals(request)),
        h("td", { "data-label": "Created" }, when(request.created_at)),
      ),
    );
    const head = ["#", "Title", "State", "Requested by", "Environments", "Approvals", "Created"];
    list.replaceChildren(
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { id: "changes-table", class: "cards" },
          h("thead", {}, h("tr", {}, head.map((text) => h("th", { scope: "col" }, text)))),
          h("tbody", {}, rows),
        ),
      ),
    );
  }
}

// --- one request ----------------------------------------------------------------------------------

function mountDetail(main, ctx, id) {
  const body = h("div", { id: "change" }, h("p", { class: "loading" }, "Loading…"));
  main.append(h("p", { class: "crumbs" }, h("a", { href: "#/changes" }, "Change requests"), " / ", `#${id}`), body);
  load().then(() => ctx.ready("change"));
  return {};

  async function load() {
    try {
      show(await ctx.api.get(path("/change-requests", String(id))));
    } catch (error) {
      body.replaceChildren(h("p", { class: "notice error", role: "alert" }, `Could not load change request #${id}: ${error.message}`));
    }
  }

  function show(request) {
    const moved = request.diff.filter((flag) => flag.current_version !== flag.made_against);
    const status = h("p", { class: "form-error", role: "alert", id: "change-error" });
    body.replaceChildren();
    append(body, [
      h(
        "div",
        { class: "page-head" },
        h("h1", {}, request.title),
        stateBadge(request.state),
      ),
      h(
        "p",
        { class: "meta change-meta" },
        `Requested by ${request.requester} · `,
        when(request.created_at),
        " · ",
        h("span", { id: "change-approvals" }, `${approvals(request)} approvals`),
        request.environments.length ? [" · ", ...request.environments.map((env) => h("span", { class: "tag" }, env))] : null,
        request.applied_by ? ` · applied by ${request.applied_by}` : null,
      ),
      moved.length > 0 && !["applied", "rejected"].includes(request.state)
        ? h(
            "p",
            { class: "notice warn", id: "change-moved" },
            `${moved.map((flag) => flag.flag).join(", ")} changed since this request was made: rebase it on the flags as they are, then have it approved again.`,
          )
        : null,
      actions(request, status),
      status,
      h("section", { class: "card" }, h("h2", {}, "Changes"), request.diff.map((flag) => flagDiff(flag, request))),
      request.impact === null || request.impact === undefined
        ? null
        : h(
            "section",
            { class: "card", id: "change-impact" },
            h("h2", {}, "Impact"),
            h(
              "p",
              { class: "hint" },
              request.state === "applied" || request.state === "rejected"
                ? "Against the users this server evaluated recently, compared with the flags as they are now."
                : "What applying it would change for the users this server evaluated recently.",
            ),
            h("div", { class: "impact" }, describeImpact(request.impact, true)),
          ),
      h("section", { class: "card" }, h("h2", {}, "Activity"), timeline(request), ctx.readOnly ? null : commentForm()),
    ]);
  }

  function actions(request, status) {
    if (ctx.readOnly) return null;
    const pending = ["draft", "open", "approved"].includes(request.state);
    const buttons = [];
    const act = (verb, text, cls, enabled = true) =>
      h("button", { type: "button", class: cls, id: `change-${verb}`, disabled: !enabled, onclick: () => run(verb, status) }, text);
    if (request.state === "draft") buttons.push(act("open", "Open for review", "primary"));
    if (["open", "approved"].includes(request.state)) buttons.push(act("approve", "Approve", request.state === "open" ? "primary" : ""));
    if (request.state === "approved") buttons.push(act("apply", "Apply", "primary"));
    const mine = ctx.session.kind === "person" && ctx.session.email === request.requester;
    if (pending) buttons.push(act("rebase", "Rebase", ""), act("reject", mine ? "Withdraw" : "Reject", "danger"));
    return buttons.length ? h("div", { class: "actions change-actions" }, buttons) : null;
  }

  async function run(verb, status) {
    status.textContent = "";
    try {
      await ctx.api.post(path("/change-requests", String(id), verb), verb === "approve" || verb === "reject" ? {} : undefined);
      await load();
    } catch (error) {
      status.textContent = error.message;
    }
  }

  function commentForm() {
    const text = h("textarea", { id: "change-comment", rows: 2, placeholder: "Ask a question, or say why" });
    const form = h(
      "form",
      { class: "comment-form", novalidate: true, onsubmit: onComment },
      h("div", { class: "field", dataset: { path: "text" } }, h("label", { for: text.id }, "Comment"), text),
      h("div", { class: "actions" }, h("button", { type: "submit" }, "Comment")),
      h("p", { class: "form-error", role: "alert" }),
    );
    return form;

    async function onComment(event) {
      event.preventDefault();
      clearErrors(form);
      try {
        await ctx.api.post(path("/change-requests", String(id), "comments"), { text: text.value });
        await load();
      } catch (error) {
        showApiError(form, error);
      }
    }
  }
}

function flagDiff(flag, request) {
  const changes = request.changes.filter((change) => change.flag === flag.flag);
  const done = request.state === "applied" || request.state === "rejected";
  const versions = done
    ? ` made against version ${flag.made_against}`
    : ` made against version ${flag.made_against}, now ${flag.current_version ?? "deleted"}`;
  return h(
    "div",
    { class: "change-flag", dataset: { flag: flag.flag } },
    h("h3", {}, h("a", { href: `#/flags/${encodeURIComponent(flag.flag)}` }, flag.flag), h("span", { class: "hint" }, versions)),
    h("ul", { class: "change-list" }, changes.map((change) => h("li", {}, describe(change)))),
    request.state === "applied"
      ? h(
          "p",
          { class: "hint" },
          "Applied: what it changed is in ",
          h("a", { href: `#/audit${query({ flag: flag.flag })}` }, `the audit log of ${flag.flag}`),
          ".",
        )
      : diffTable(flag),
  );
}

function diffTable(flag) {
  return !flag.applicable
      ? h("p", { class: "notice error" }, "These changes no longer apply to the flag as it is.")
      : flag.changes.length
        ? h(
            "div",
            { class: "table-wrap" },
            h(
              "table",
              { class: "diff" },
              h("thead", {}, h("tr", {}, ["Setting", "Now", "After"].map((t) => h("th", { scope: "col" }, t)))),
              h(
                "tbody",
                {},
                flag.changes.map((row) =>
                  h(
                    "tr",
                    { dataset: { path: row.path } },
                    h("th", { scope: "row" }, h("code", {}, row.path)),
                    h("td", { class: "before" }, row.before === null ? h("em", {}, "not set") : h("pre", {}, showJson(row.before))),
                    h("td", { class: "after" }, row.after === null ? h("em", {}, "not set") : h("pre", {}, showJson(row.after))),
                  ),
                ),
              ),
            ),
          )
        : h("p", { class: "hint" }, "Nothing left to change: the flag is already so.");
}

/** A change in a few words: "Turn on in production", "Override in staging: rollout_percentage". */
function describe(change) {
  const where = change.environment ? ` in ${change.environment}` : " (its own switch)";
  switch (change.kind) {
    case "enable":
      return `Turn ${change.enabled ? "on" : "off"}${where}`;
    case "override":
      return `Override${where}: ${Object.keys(change.fields).join(", ")}`;
    case "remove_override":
      return `Remove the override${where}`;
    case "patch":
      return `Update: ${Object.keys(change.fields).join(", ")}`;
    case "add_app":
      return `Scope to app ${change.app}`;
    case "remove_app":
      return `Remove app scope ${change.app}`;
    default:
      return change.kind;
  }
}

function timeline(request) {
  if (!request.reviews.length) return h("p", { class: "empty" }, "No reviews or comments yet.");
  return h(
    "ol",
    { class: "timeline", id: "change-timeline" },
    request.reviews.map((review) =>
      h(
        "li",
        { dataset: { kind: review.kind } },
        h("div", { class: "event-head" }, h("strong", {}, review.actor), ` ${REVIEW_TEXT[review.kind] || review.kind}`, when(review.at)),
        review.text ? h("p", { class: "review-text" }, review.text) : null,
      ),
    ),
  );
}
