// Drives the real, unmodified Node server SDK (unleash-client) against a Vexil server, for
// tests/unleash_frontend/: it registers, asks flags, and posts its metrics. Reads one JSON job on
// stdin ({"url", "key", "appName", "instanceId", "flags": [...], "backupPath"}) and prints one JSON
// line: what it registered and sent, and the warnings it met.

import { createInterface } from "node:readline";
import unleashClient from "unleash-client";

const { Unleash } = unleashClient;
const lines = createInterface({ input: process.stdin });
const job = JSON.parse((await lines[Symbol.asyncIterator]().next()).value);
lines.close();

const unleash = new Unleash({
  url: job.url,
  appName: job.appName,
  instanceId: job.instanceId,
  customHeaders: { Authorization: job.key },
  metricsInterval: 300,
  refreshInterval: 60000,
  backupPath: job.backupPath,
  disableAutoStart: true,
});
const warnings = [];
unleash.on("warn", (message) => warnings.push(String(message)));
unleash.on("error", (error) => warnings.push(String(error?.message ?? error)));

const timeout = (what) =>
  new Promise((_, reject) => setTimeout(() => reject(new Error(`${what} did not happen: ${warnings.join(" | ")}`)), 20000));
const registered = new Promise((resolve) => unleash.once("registered", resolve));
await unleash.start();
const registration = await Promise.race([registered, timeout("registration")]);

const sent = new Promise((resolve) => unleash.once("sent", resolve));
for (const name of job.flags) {
  unleash.isEnabled(name);
  unleash.getVariant(name);
}
const metrics = await Promise.race([sent, timeout("a metrics post")]);
unleash.destroy();
process.stdout.write(
  JSON.stringify({ sdkVersion: registration.sdkVersion, toggles: Object.keys(metrics.bucket.toggles), warnings }) + "\n",
);
process.exit(0);
