// Bundle one test app (apps/solid.js or apps/react.jsx) for the browser with esbuild:
//   node build.mjs <solid|react> <dir>
// <dir>/node_modules holds @vexil/client installed from its packed tarball; solid-js, @solidjs/web,
// react and react-dom come from tests/bindings/node_modules, one copy each, shared by the app and
// the package (their peer dependencies). Writes <dir>/<framework>/{index.html,app.js}; prints JSON.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const [framework, dir] = process.argv.slice(2);
const entry = { solid: "solid.js", react: "react.jsx" }[framework];
if (!entry || !dir) {
  console.error("usage: node build.mjs <solid|react> <dir>");
  process.exit(2);
}
const out = join(dir, framework);
mkdirSync(out, { recursive: true });
const result = await esbuild.build({
  entryPoints: [join(here, "apps", entry)],
  outfile: join(out, "app.js"),
  bundle: true,
  format: "esm",
  platform: "browser",
  jsx: "automatic",
  define: { "process.env.NODE_ENV": '"production"' },
  nodePaths: [join(dir, "node_modules"), join(here, "node_modules")],
  metafile: true,
  logLevel: "error",
});
copyFileSync(join(here, "apps", "page.html"), join(out, "index.html"));
console.log(JSON.stringify({ out, inputs: Object.keys(result.metafile.inputs) }));
