// Types of react.js, the React bindings (`@vexil/client/react`).
import type { Context, ReactElement, ReactNode } from "react";
import type { Fallback, FlagValue, VexilClient } from "./client.js";

export interface FeatureFlagOptions {
  /** What the flag reads as before the first answer (default `false`). */
  fallback?: Fallback;
  /** Milliseconds the flag's subscription outlives its last reader (default 0). */
  ttl?: number;
  /** A client to use instead of the provider's. */
  client?: VexilClient;
}

export declare const VexilContext: Context<VexilClient | null>;
export declare function VexilProvider(props: { client: VexilClient; children?: ReactNode }): ReactElement;
export declare function useVexil(): VexilClient;
/** `{variant, enabled, payload, reason}`, the same object until the server's answer changes. */
export declare function useFeatureFlag(key: string, options?: FeatureFlagOptions): FlagValue;
