// The test page's script: everything it shows comes from the Vexil browser client.
const query = new URLSearchParams(location.search);
const server = query.get("vexil");
const { createClient } = await import(`${server}/web/client.js`);

// Every other parameter is a JSON-encoded option of createClient (context, token, minRetryMs...).
const option = (name) => (query.has(name) ? JSON.parse(query.get(name)) : undefined);
const client = createClient({
  url: server,
  context: option("context"),
  token: option("token"),
  minRetryMs: option("minRetryMs"),
  maxRetryMs: option("maxRetryMs"),
  metricsIntervalMs: option("metricsIntervalMs"),
});
window.vexil = client; // for tests that call setContext

const list = document.getElementById("flags");
for (const [key, fallback] of Object.entries(JSON.parse(query.get("flags") ?? "{}"))) {
  const feature = client.feature(key, { fallback });
  const item = document.createElement("li");
  item.id = `flag-${key}`;
  item.dataset.changes = "0";
  const show = () => {
    const enabled = feature.enabled();
    const payload = JSON.stringify(feature.payload());
    item.className = enabled ? "on" : "off";
    item.dataset.enabled = String(enabled);
    item.dataset.variant = String(feature.variant());
    item.dataset.payload = payload;
    item.dataset.reason = feature.reason() ?? "fallback";
    item.textContent = `${key}: ${enabled ? "ON" : "off"} · variant ${feature.variant()} · payload ${payload} · ${item.dataset.reason}`;
  };
  show();
  feature.subscribe(() => {
    item.dataset.changes = String(Number(item.dataset.changes) + 1);
    show();
  });
  list.append(item);
}

const status = document.getElementById("status");
status.textContent = "waiting";
client.ready.then(() => {
  status.textContent = "ready";
});
