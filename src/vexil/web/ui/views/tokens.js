import { h } from "../dom.js";

export function mount(main, ctx) {
  main.append(h("h1", {}, "tokens"));
  ctx.ready("tokens");
}
