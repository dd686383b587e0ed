// Connected SDKs: the apps and SDK instances that registered or posted metrics (GET /sdks), newest
// sighting first within each app. Read-only, for admin and server tokens alike.

import { h } from "../dom.js";

export function mount(main, ctx) {
  const list = h("div", { id: "sdks" }, h("p", { class: "loading" }, "Loading…"));
  main.append(
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, "SDKs"),
      h(
        "p",
        { class: "hint" },
        "Apps and SDK instances that told Vexil about themselves (register or metrics) in the last 7 days.",
      ),
    ),
    list,
  );
  load().then(() => ctx.ready("sdks"));
  return {};

  async function load() {
    try {
      const { sdks } = await ctx.api.get("/sdks");
      show(sdks);
    } catch (error) {
      list.replaceChildren(h("p", { class: "notice error", role: "alert" }, `Could not load the SDKs: ${error.message}`));
    }
  }

  function show(sdks) {
    if (!sdks.length) {
      list.replaceChildren(
        h("p", { class: "empty" }, "No SDK has registered or posted metrics yet. Unleash SDKs appear here once connected."),
      );
      return;
    }
    const rows = sdks.map((sdk) =>
      h(
        "tr",
        { dataset: { app: sdk.app, instance: sdk.instance } },
        h("th", { scope: "row" }, sdk.app),
        h("td", { "data-label": "Environment" }, sdk.environment ?? h("span", { class: "hint" }, "none")),
        h("td", { "data-label": "Instance" }, h("code", {}, sdk.instance)),
        h(
          "td",
          { "data-label": "SDK" },
          sdk.sdk ? `${sdk.sdk}${sdk.sdk_version ? ` ${sdk.sdk_version}` : ""}` : h("span", { class: "hint" }, "unknown"),
        ),
        h("td", { "data-label": "Kind" }, h("span", { class: "badge" }, sdk.kind)),
        h("td", { "data-label": "Flags counted" }, String(sdk.flags)),
        h("td", { "data-label": "First seen" }, when(sdk.first_seen)),
        h("td", { "data-label": "Last seen" }, when(sdk.last_seen)),
      ),
    );
    const head = ["App", "Environment", "Instance", "SDK", "Kind", "Flags counted", "First seen", "Last seen"];
    list.replaceChildren(
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { id: "sdks-table", class: "cards" },
          h("thead", {}, h("tr", {}, head.map((text) => h("th", { scope: "col" }, text)))),
          h("tbody", {}, rows),
        ),
      ),
    );
  }
}

function when(stamp) {
  return h("time", { datetime: stamp, title: stamp }, new Date(stamp).toLocaleString());
}
