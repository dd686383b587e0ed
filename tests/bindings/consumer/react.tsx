// A TypeScript (TSX) consumer of @vexil/client/react, type-checked with consumer/solid.ts.
import { createClient, type FlagValue } from "@vexil/client";
import { VexilProvider, useFeatureFlag } from "@vexil/client/react";

const client = createClient({ url: "https://flags.example.com", context: { identifier: "user-7" } });

function Banner() {
  const flag: FlagValue = useFeatureFlag("banner", { fallback: { variant: "blue" }, ttl: 1000 });
  const { variant, enabled } = useFeatureFlag("banner");
  // @ts-expect-error values, not accessors
  variant();
  // @ts-expect-error the fallback is a boolean or an object
  useFeatureFlag("banner", { fallback: "blue" });
  return <p className={variant ?? "none"}>{enabled ? "on" : "off"} {String(flag.payload)}</p>;
}

export const app = (
  <VexilProvider client={client}>
    <Banner />
  </VexilProvider>
);
// @ts-expect-error the provider needs a client
export const wrong = <VexilProvider><Banner /></VexilProvider>;
