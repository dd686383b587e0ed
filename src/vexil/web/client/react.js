/**
 * React bindings of the Vexil browser client (`@vexil/client/react`): a flag's value as state, read
 * with `useSyncExternalStore`. `react` is a peer dependency: the application's own copy is used.
 *
 * @example
 * import { createClient } from "@vexil/client";
 * import { VexilProvider, useFeatureFlag } from "@vexil/client/react";
 *
 * const vexil = createClient({ url: "https://flags.example.com", context: { identifier: "user-42" } });
 * // <VexilProvider client={vexil}><Banner /></VexilProvider>
 * function Banner() {
 *   const { variant, payload } = useFeatureFlag("banner", { fallback: { variant: "blue" } });
 *   return <p className={variant}>{payload?.text}</p>;
 * }
 *
 * @module @vexil/client/react
 */
import { createContext, createElement, useCallback, useContext, useMemo, useSyncExternalStore } from "react";

/**
 * The client `VexilProvider` shares with its descendants (`null` outside of one).
 * @type {import("react").Context<import("./client.js").VexilClient | null>}
 */
export const VexilContext = createContext(/** @type {import("./client.js").VexilClient | null} */ (null));

/**
 * Share one client with every `useFeatureFlag` below.
 * @param {{client: import("./client.js").VexilClient, children?: import("react").ReactNode}} props
 */
export function VexilProvider({ client, children }) {
  return createElement(VexilContext.Provider, { value: client }, children);
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
 * Flag `key` for the client's context: `{variant, enabled, payload, reason}` (a frozen object, the
 * same until the answer changes), re-rendering the component when the server's answer changes. It
 * reads as the fallback until the first answer (`reason` is then `null`). The flag's subscription ends
 * `ttl` milliseconds after the last component reading it unmounts (at once by default).
 * @param {string} key The flag's name.
 * @param {{fallback?: import("./client.js").Fallback, ttl?: number,
 *          client?: import("./client.js").VexilClient}} [options] `client`: instead of the provider's.
 * @returns {import("./client.js").FlagValue}
 */
export function useFeatureFlag(key, options = {}) {
  const { fallback = false, ttl = 0 } = options;
  const provided = useContext(VexilContext);
  const client = options.client ?? provided;
  if (!client) {
    throw new Error(`useFeatureFlag("${key}"): no Vexil client: render inside <VexilProvider client={...}> or pass {client}`);
  }
  // A fallback written inline is a new object at every render: compare it by value.
  const fallbackKey = JSON.stringify(fallback);
  const feature = useMemo(() => client.feature(key, { fallback }), [client, key, fallbackKey]);
  const subscribe = useCallback((/** @type {() => void} */ notify) => client.watch(key, notify, { ttl }), [client, key, ttl]);
  const read = () => feature.value();
  return useSyncExternalStore(subscribe, read, read);
}
