// The SolidJS test app, written without JSX (what Solid's JSX compiles to: components and `insert`).
import { Show, createComponent, createSignal } from "solid-js";
import { insert, render } from "@solidjs/web";
import { VexilProvider, useFeatureFlag } from "@vexil/client/solid";
import { FLAG, client, fallback, ttl } from "./options.js";

/** A <dd id=...> whose text follows `read()`. */
function field(id, read) {
  const node = document.createElement("dd");
  node.id = id;
  insert(node, read);
  return node;
}

function Banner() {
  const banner = useFeatureFlag(FLAG, { fallback, ttl });
  const list = document.createElement("dl");
  list.id = "banner";
  list.append(
    field("variant", () => String(banner.variant())),
    field("payload", () => JSON.stringify(banner.payload())),
    field("enabled", () => String(banner.enabled())),
    field("reason", () => banner.reason() ?? "fallback"),
  );
  return list;
}

function App() {
  const [shown, setShown] = createSignal(true);
  window.showBanner = (value) => setShown(value);
  return createComponent(VexilProvider, {
    client,
    get children() {
      return createComponent(Show, {
        get when() {
          return shown();
        },
        get children() {
          return createComponent(Banner, {});
        },
      });
    },
  });
}

document.getElementById("framework").textContent = "SolidJS";
render(() => createComponent(App, {}), document.getElementById("root"));
