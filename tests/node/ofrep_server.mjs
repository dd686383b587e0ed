// OpenFeature's Node server SDK with its OFREP provider, unmodified, against a Vexil server.
//
// Reads one JSON request on standard input:
//   {"url": "http://127.0.0.1:8000", "token": "vx_...",
//    "evaluations": [{"flag": "beta", "kind": "boolean", "default": false, "context": {"targetingKey": "u1"}}]}
// and writes one JSON line on standard output: for each evaluation, in order,
//   {"value", "variant", "reason", "errorCode"}  (absent fields as null).
// `kind` picks the SDK call: boolean, string, number or object. Driven by tests/ofrep/.

import { OpenFeature } from "@openfeature/server-sdk";
import { OFREPProvider } from "@openfeature/ofrep-provider";

const GETTERS = {
  boolean: "getBooleanDetails",
  string: "getStringDetails",
  number: "getNumberDetails",
  object: "getObjectDetails",
};

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

const request = await readStdin();
const headers = request.token ? [["Authorization", `Bearer ${request.token}`]] : [];
await OpenFeature.setProviderAndWait(new OFREPProvider({ baseUrl: request.url, headers }));
const client = OpenFeature.getClient();
const answers = [];
for (const { flag, kind, default: fallback, context } of request.evaluations) {
  const details = await client[GETTERS[kind]](flag, fallback, context);
  answers.push({
    value: details.value ?? null,
    variant: details.variant ?? null,
    reason: details.reason ?? null,
    errorCode: details.errorCode ?? null,
  });
}
await OpenFeature.close();
process.stdout.write(JSON.stringify(answers) + "\n");
