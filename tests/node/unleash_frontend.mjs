// Drives the real, unmodified unleash-proxy-client (Unleash's browser SDK) against a Vexil server,
// for tests/unleash_frontend/. Reads one JSON job on stdin's first line, writes JSON lines on stdout.
//
//   {"mode": "compare", "url", "key", "appName", "flags": [...], "contexts": [...], "post": false}
//     -> {"results": [[{name, enabled, variant}, ...per flag], ...per context], "statuses": [...]}
//        (after the contexts, the last one is asked again: its status shows the ETag's 304)
//   {"mode": "refresh", "url", "key", "appName", "flag", "context"}
//     -> {"phase": "ready", "enabled"}; then, after any line on stdin, once the client's own
//        refresh has brought a new answer: {"phase": "changed", "enabled", "statuses"}
//   {"mode": "metrics", "url", "key", "appName", "flags": [...]}
//     -> asks each flag, sends its metrics: {"sent": true, "statuses"}
//
// The client gets its own `fetch` option (a documented one) wrapping Node's, only to record the
// statuses it receives.

import { createInterface } from "node:readline";
import { UnleashClient, EVENTS } from "unleash-proxy-client";

const lines = createInterface({ input: process.stdin });
const iterator = lines[Symbol.asyncIterator]();
const job = JSON.parse((await iterator.next()).value);
const statuses = [];

async function recordingFetch(url, options) {
  const response = await fetch(url, options);
  statuses.push({ method: options?.method ?? "GET", url: String(url), status: response.status });
  return response;
}

function newClient(extra = {}) {
  return new UnleashClient({
    url: job.url,
    clientKey: job.key,
    appName: job.appName,
    fetch: recordingFetch,
    usePOSTrequests: Boolean(job.post),
    ...extra,
  });
}

function answers(client, flags) {
  return flags.map((name) => {
    const variant = client.getVariant(name);
    return { name, enabled: client.isEnabled(name), variant: { name: variant.name, enabled: variant.enabled, payload: variant.payload ?? null } };
  });
}

function emit(value) {
  process.stdout.write(JSON.stringify(value) + "\n");
}

function onceUpdated(client, flag, before, timeoutMs) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no refresh changed ${flag} within ${timeoutMs} ms`)), timeoutMs);
    const listener = () => {
      if (client.isEnabled(flag) !== before) {
        clearTimeout(timer);
        client.off(EVENTS.UPDATE, listener);
        resolve();
      }
    };
    client.on(EVENTS.UPDATE, listener);
  });
}

if (job.mode === "compare") {
  const client = newClient({ disableRefresh: true, disableMetrics: true, context: job.contexts[0] });
  await client.start();
  const results = [];
  for (const context of job.contexts) {
    await client.updateContext(context);
    if (client.getError()) throw new Error(JSON.stringify(client.getError()));
    results.push(answers(client, job.flags));
  }
  await client.updateToggles(); // the same context again: If-None-Match with the ETag
  client.stop();
  emit({ results, statuses });
} else if (job.mode === "refresh") {
  const client = newClient({ refreshInterval: 1, disableMetrics: true, context: job.context });
  await client.start();
  const before = client.isEnabled(job.flag);
  emit({ phase: "ready", enabled: before });
  await iterator.next(); // the test changed the flag
  await onceUpdated(client, job.flag, before, 20000);
  client.stop();
  emit({ phase: "changed", enabled: client.isEnabled(job.flag), statuses });
} else if (job.mode === "metrics") {
  const client = newClient({ disableRefresh: true, metricsInterval: 3600, metricsIntervalInitial: 0 });
  await client.start();
  for (const name of job.flags) {
    client.isEnabled(name);
    client.getVariant(name);
  }
  await client.sendMetrics();
  client.stop();
  emit({ sent: true, statuses });
} else {
  throw new Error(`unknown mode ${job.mode}`);
}
lines.close();
