// Types of client.js, the Vexil browser client (`@vexil/client`, also served at /web/client.js).
// Written by hand next to the module they describe; tests/bindings type-checks a consumer against them.

/** What the server resolved for one flag and this client's context. */
export interface FlagResult {
  readonly active: boolean;
  readonly variant: string | null;
  readonly payload: unknown;
  readonly reason: string;
}

/** What a flag reads as, all at once: the server's answer, or the fallback (`reason: null`). */
export interface FlagValue {
  readonly enabled: boolean;
  readonly variant: string | null;
  readonly payload: unknown;
  readonly reason: string | null;
}

/**
 * Who is asking. `identifier`, `environment` and `app` are reserved; every other key, and every key
 * of `attributes`, is an attribute (sent as a query parameter, so it reaches the server as a string).
 */
export interface Context {
  identifier?: string | number;
  environment?: string;
  app?: string;
  attributes?: Record<string, string | number | boolean | null | undefined>;
  [attribute: string]: unknown;
}

/**
 * What a flag reads as before the server has answered, when the server does not have it, and after
 * it is deleted. `true`/`false` stand for `{enabled: true, variant: "on"}`/`{enabled: false, variant: "off"}`.
 */
export type Fallback = boolean | { enabled?: boolean; variant?: string | null; payload?: unknown };

export interface ClientOptions {
  /** The Vexil server; default: the server this module was loaded from (give it when bundled from npm). */
  url?: string;
  /** Who is asking; change it later with `setContext`. */
  context?: Context;
  /** A client token, for servers that require one (sent as `?token=`). */
  token?: string;
  /** First reconnection delay after an error, in milliseconds (default 1000). */
  minRetryMs?: number;
  /** Ceiling of the exponential backoff, in milliseconds (default 30000). */
  maxRetryMs?: number;
  /** An `EventSource` implementation (a polyfill, a test double); default: the browser's. */
  EventSource?: typeof EventSource;
  /**
   * How often the values read (`enabled()`, `variant()`, `payload()`, `value()`) are posted to the
   * server for its usage counts, in milliseconds (default 60000); also when the page is hidden and
   * on `close()`. `0` posts none.
   */
  metricsIntervalMs?: number;
}

export interface WatchOptions {
  /** Milliseconds the flag's subscription outlives its last listener (default 0: it ends at once). */
  ttl?: number;
}

/** Connect to Vexil and keep every flag's value for `context` current. Never throws, never rejects. */
export declare function createClient(options?: ClientOptions): VexilClient;

/** One connection to `/stream`; create it with `createClient`. */
export declare class VexilClient {
  constructor(options?: ClientOptions);
  /** The server's URL, without a trailing slash. */
  readonly url: string;
  /** Resolved with the client at the first snapshot; never rejects. */
  readonly ready: Promise<VexilClient>;
  /** `false` until the first snapshot has been applied. */
  readonly isReady: boolean;
  /** `"open"` while the stream is connected, `"closed"` after `close()`. */
  readonly status: "connecting" | "open" | "closed";
  /** A handle on one flag; cheap, make one wherever it is needed. */
  feature(key: string, options?: { fallback?: Fallback }): Feature;
  /** Call `listener` whenever flag `key` changes; one subscription per flag, kept `ttl` ms after its last listener. */
  watch(key: string, listener: () => void, options?: WatchOptions): () => void;
  /** The flags followed for someone right now (subscribed, or within a `ttl`), sorted. */
  watching(): string[];
  /** Evaluate for another context from now on (after a login, say). */
  setContext(context: Context): void;
  /** Stop listening; flags keep reading as their last value. */
  close(): void;
}

/** One flag as a client sees it; get one from `VexilClient#feature`. */
export declare class Feature {
  private constructor();
  /** The flag's name. */
  readonly key: string;
  /** Whether the flag is on for this context (the server's `active`), else the fallback's `enabled`. */
  enabled(): boolean;
  /** The variant served to this context, else the fallback's. */
  variant(): string | null;
  /** The served variant's payload (frozen), else the fallback's. */
  payload(): unknown;
  /** Why the server decided so, or `null` while the fallback is in use. */
  reason(): string | null;
  /** All of the above in one frozen object, the same (`===`) until the answer changes. */
  value(): FlagValue;
  /** Call `callback(feature)` whenever anything above changes; returns the unsubscribe function. */
  subscribe(callback: (feature: Feature) => void): () => void;
}
