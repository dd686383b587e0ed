// Types of solid.js, the SolidJS bindings (`@vexil/client/solid`).
import type { Accessor, Context, ParentComponent } from "solid-js";
import type { Fallback, VexilClient } from "./client.js";

export interface FeatureFlagOptions {
  /** What the flag reads as before the first answer (default `false`). */
  fallback?: Fallback;
  /** Milliseconds the flag's subscription outlives its last reader (default 0). */
  ttl?: number;
  /** A client to use instead of the provider's. */
  client?: VexilClient;
}

/** A flag's value as accessors that follow the server live. */
export interface FeatureFlag {
  variant: Accessor<string | null>;
  enabled: Accessor<boolean>;
  payload: Accessor<unknown>;
  /** Why the server decided so, `null` while the fallback is shown. */
  reason: Accessor<string | null>;
}

export declare const VexilContext: Context<VexilClient | null>;
export declare const VexilProvider: ParentComponent<{ client: VexilClient }>;
export declare function useVexil(): VexilClient;
export declare function useFeatureFlag(key: string, options?: FeatureFlagOptions): FeatureFlag;
