// The React test app (JSX compiled by esbuild for react/jsx-runtime).
import { StrictMode, useState } from "react";
import { createRoot } from "react-dom/client";
import { VexilProvider, useFeatureFlag } from "@vexil/client/react";
import { FLAG, client, fallback, ttl } from "./options.js";

function Banner() {
  const { variant, payload, enabled, reason } = useFeatureFlag(FLAG, { fallback, ttl });
  return (
    <dl id="banner">
      <dd id="variant">{String(variant)}</dd>
      <dd id="payload">{JSON.stringify(payload)}</dd>
      <dd id="enabled">{String(enabled)}</dd>
      <dd id="reason">{reason ?? "fallback"}</dd>
    </dl>
  );
}

function App() {
  const [shown, setShown] = useState(true);
  window.showBanner = (value) => setShown(value);
  return <VexilProvider client={client}>{shown && <Banner />}</VexilProvider>;
}

document.getElementById("framework").textContent = "React";
createRoot(document.getElementById("root")).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
