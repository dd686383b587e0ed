/**
 * SolidJS bindings of the Vexil browser client (`@vexil/client/solid`): a flag's value as signals.
 * `solid-js` is a peer dependency: the application's own copy is used, never one of ours.
 *
 * @example
 * import { createClient } from "@vexil/client";
 * import { VexilProvider, useFeatureFlag } from "@vexil/client/solid";
 *
 * const vexil = createClient({ url: "https://flags.example.com", context: { identifier: "user-42" } });
 * // <VexilProvider client={vexil}><Banner /></VexilProvider>
 * function Banner() {
 *   const banner = useFeatureFlag("banner", { fallback: { variant: "blue" }, ttl: 5000 });
 *   return <p class={banner.variant()}>{banner.payload()?.text}</p>;
 * }
 *
 * @module @vexil/client/solid
 */
import { createComponent, createContext, createSignal, onCleanup, useContext } from "solid-js";

/**
 * The client `VexilProvider` shares with its descendants (`null` outside of one).
 * @type {import("solid-js").Context<import("./client.js").VexilClient | null>}
 */
export const VexilContext = createContext(/** @type {import("./client.js").VexilClient | null} */ (null));

/**
 * Share one client with every `useFeatureFlag` below.
 * @param {{client: import("./client.js").VexilClient, children?: any}} props
 */
export function VexilProvider(props) {
  // Solid 2's context is its own provider component; Solid 1's has a `.Provider`.
  const context = /** @type {any} */ (VexilContext);
  return createComponent(context.Provider ?? context, {
    get value() {
      return props.client;
    },
    get children() {
      return props.children;
    },
  });
}

/**
 * The client of the nearest `VexilProvider`; throws outside of one.
 * @returns {import("./client.js").VexilClient}
 */
export function useVexil() {
  const client = useContext(VexilContext);
  if (!client) throw new Error("useVexil: no Vexil client here: render this component inside <VexilProvider client={...}>");
  return client;
}

/**
 * Flag `key` for the client's context, as three accessors that follow the server live: `variant()`,
 * `enabled()`, `payload()` (and `reason()`, `null` while the fallback is shown). They read as the
 * fallback until the first answer. The flag's subscription ends `ttl` milliseconds after the last
 * component reading it is cleaned up (at once by default), so that one mounted again soon after finds it.
 * @param {string} key The flag's name.
 * @param {{fallback?: import("./client.js").Fallback, ttl?: number,
 *          client?: import("./client.js").VexilClient}} [options] `client`: instead of the provider's.
 */
export function useFeatureFlag(key, options = {}) {
  const { fallback = false, ttl = 0 } = options;
  const client = options.client ?? useContext(VexilContext);
  if (!client) {
    throw new Error(`useFeatureFlag("${key}"): no Vexil client: render inside <VexilProvider client={...}> or pass {client}`);
  }
  const feature = client.feature(key, { fallback });
  // One signal holding the frozen value, which changes identity only when the answer does.
  const [value, setValue] = createSignal(feature.value());
  onCleanup(client.watch(key, () => setValue(() => feature.value()), { ttl }));
  return {
    variant: () => value().variant,
    enabled: () => value().enabled,
    payload: () => value().payload,
    reason: () => value().reason,
  };
}
