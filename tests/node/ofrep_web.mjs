// OpenFeature's web SDK with its OFREP web provider, unmodified, for a browser page: tests/ofrep/
// bundles this file with esbuild (one IIFE) and loads it into Chromium, where `window.vexilOfrep`
// is what the tests drive.
//
// The provider evaluates every flag at once (bulk), keeps the answers, and polls with the ETag it
// was given as If-None-Match; each change it sees is counted and remembered with its flag names.

import { OpenFeature, ProviderEvents } from "@openfeature/web-sdk";
import { OFREPWebProvider } from "@openfeature/ofrep-web-provider";

const GETTERS = {
  boolean: "getBooleanDetails",
  string: "getStringDetails",
  number: "getNumberDetails",
  object: "getObjectDetails",
};

const state = { changes: [], errors: [] };

function details(client, { flag, kind, default: fallback }) {
  const got = client[GETTERS[kind]](flag, fallback);
  return {
    value: got.value ?? null,
    variant: got.variant ?? null,
    reason: got.reason ?? null,
    errorCode: got.errorCode ?? null,
  };
}

window.vexilOfrep = {
  state,

  /** Start the provider for `context`; `pollInterval` in milliseconds (0: no polling). */
  async start({ url, token, context, pollInterval }) {
    const headers = token ? [["Authorization", `Bearer ${token}`]] : [];
    const provider = new OFREPWebProvider({ baseUrl: url, headers, pollInterval, cacheMode: "disabled" });
    const client = OpenFeature.getClient();
    client.addHandler(ProviderEvents.ConfigurationChanged, (event) => state.changes.push(event.flagsChanged ?? []));
    client.addHandler(ProviderEvents.Error, (event) => state.errors.push(event.message ?? "error"));
    await OpenFeature.setContext(context);
    await OpenFeature.setProviderAndWait(provider);
  },

  /** For each context in turn (each a bulk evaluation), the details of each evaluation. */
  async evaluateAll(rounds) {
    const client = OpenFeature.getClient();
    const answers = [];
    for (const { context, evaluations } of rounds) {
      await OpenFeature.setContext(context);
      answers.push(evaluations.map((evaluation) => details(client, evaluation)));
    }
    return answers;
  },

  /** The details of one evaluation, for the current context. */
  read(evaluation) {
    return details(OpenFeature.getClient(), evaluation);
  },

  async close() {
    await OpenFeature.close();
  },
};
