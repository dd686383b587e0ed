// Drives the unmodified Node Unleash SDK (unleash-client) against a Vexil server for the Python tests.
//
// Reads one JSON object from standard input:
//   {"url": "http://127.0.0.1:8000/api/", "token": "vx_...", "appName": "tests",
//    "checks": [{"flag": "name", "context": {"userId": "u1", "appName": "web", "properties": {...}}}]}
// waits for the SDK's first synchronisation with the server, then writes one JSON object to standard
// output: {"answers": [{"enabled": bool, "variant": {"name", "payload"?}}],
// "fetched": [the feature names the SDK holds]}. Metrics (and so registration) are off: those
// endpoints are not part of the feed under test.
import { InMemStorageProvider, initialize } from 'unleash-client';

const input = JSON.parse(await new Promise((resolve) => {
  let text = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => { text += chunk; });
  process.stdin.on('end', () => resolve(text));
}));

const client = initialize({
  url: input.url,
  appName: input.appName || 'vexil-tests',
  customHeaders: { Authorization: input.token },
  disableMetrics: true,
  refreshInterval: 60_000,
  storageProvider: new InMemStorageProvider(),
});

// Exits once everything written has been flushed: a pipe takes 64 KiB at a time.
const finish = (output, code) => {
  client.destroy();
  process.stdout.write(JSON.stringify(output), () => process.exit(code));
};
const failed = (error) => finish({ error: String(error && error.message ? error.message : error) }, 1);
client.on('error', failed);
const timer = setTimeout(() => failed('not synchronized within 20 s'), 20_000);

client.on('synchronized', () => {
  clearTimeout(timer);
  const answers = input.checks.map(({ flag, context }) => {
    const { name, payload } = client.getVariant(flag, context);
    return { enabled: client.isEnabled(flag, context), variant: { name, payload } };
  });
  const fetched = client.getFeatureToggleDefinitions().map((feature) => feature.name);
  finish({ answers, fetched }, 0);
});
