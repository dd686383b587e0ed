// A TypeScript consumer of @vexil/client and @vexil/client/solid: type-checked by test_package.py
// with `tsc --noEmit`. The @ts-expect-error lines must be errors, or tsc fails: declarations that
// accepted anything would not pass.
import { createClient, type FlagValue, type VexilClient } from "@vexil/client";
import { VexilProvider, useFeatureFlag, useVexil } from "@vexil/client/solid";
import { createComponent, type Accessor } from "solid-js";

const client: VexilClient = createClient({ url: "https://flags.example.com", context: { identifier: "user-7", plan: "pro" } });
const checkout = client.feature("new_checkout", { fallback: { enabled: true, variant: "on", payload: { limit: 3 } } });
const on: boolean = checkout.enabled();
const variant: string | null = checkout.variant();
const value: FlagValue = checkout.value();
const stop: () => void = client.watch("new_checkout", () => undefined, { ttl: 5000 });
const watched: string[] = client.watching();
void client.ready.then((ready: VexilClient) => ready.status);
// @ts-expect-error the fallback's variant is a string
client.feature("x", { fallback: { variant: 3 } });
// @ts-expect-error ttl is a number of milliseconds
client.watch("x", () => undefined, { ttl: "5s" });

function Banner() {
  const banner = useFeatureFlag("banner", { fallback: { variant: "blue" }, ttl: 1000 });
  const shown: Accessor<string | null> = banner.variant;
  const enabled: boolean = banner.enabled();
  const payload: unknown = banner.payload();
  // @ts-expect-error an accessor, not a value
  const wrong: string = banner.variant;
  // @ts-expect-error payloads are unknown until narrowed
  const text: string = banner.payload().text;
  return `${shown()} ${enabled} ${String(payload)} ${wrong} ${text} ${useVexil().url}`;
}

export const app = createComponent(VexilProvider, { client, children: createComponent(Banner, {}) });
// @ts-expect-error the provider needs a client
createComponent(VexilProvider, { children: "x" });
export { on, variant, value, stop, watched };
