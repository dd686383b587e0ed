// The server-SDK change stream (GET /sdk/stream, docs/live.md) read with fetch(), because
// EventSource cannot send the Authorization header; a signed-in person's stream goes with the
// session cookie instead (token null). Reconnects with backoff and Last-Event-ID.

const MIN_RETRY_MS = 500;
const MAX_RETRY_MS = 15000;

/** Parse a Server-Sent Events body; calls `onEvent({event, data, id})` per dispatched event. */
export async function readEvents(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let event = { event: "message", data: [], id: null };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    const lines = buffer.split(/\r\n|\r|\n/);
    buffer = lines.pop();
    for (const line of lines) {
      if (line === "") {
        if (event.data.length) onEvent({ event: event.event, data: event.data.join("\n"), id: event.id });
        event = { event: "message", data: [], id: event.id };
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const name = colon < 0 ? line : line.slice(0, colon);
      const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (name === "event") event.event = text;
      else if (name === "data") event.data.push(text);
      else if (name === "id") event.id = text;
    }
  }
}

/**
 * Follow flag changes. `onConfig(flags)` gets every flag (on each (re)connect), `onFlags({name: doc|null})`
 * each change, `onSegments(segments)` every segment when they changed (and on connect),
 * `onStatus("connecting"|"live"|"reconnecting"|"stopped")` the connection state.
 * Returns `stop()`.
 */
export function followChanges(token, { onConfig, onFlags, onSegments, onStatus }) {
  const controller = new AbortController();
  let stopped = false;
  let lastEventId = null;
  let delay = MIN_RETRY_MS;

  function handle(message) {
    if (message.id) lastEventId = message.id;
    let data;
    try {
      data = JSON.parse(message.data);
    } catch {
      return;
    }
    if (message.event === "config") onConfig(data.flags || []);
    else if (message.event === "flags" && data.flags) onFlags(data.flags);
    if (data.segments && onSegments) onSegments(data.segments);
  }

  async function run() {
    onStatus("connecting");
    while (!stopped) {
      try {
        const headers = { Accept: "text/event-stream" };
        if (token) headers.Authorization = `Bearer ${token}`;
        if (lastEventId) headers["Last-Event-ID"] = lastEventId;
        const init = { headers, signal: controller.signal, cache: "no-store", credentials: "same-origin" };
        const response = await fetch("/sdk/stream", init);
        if (response.status === 401 || response.status === 403) {
          onStatus("stopped");
          return;
        }
        if (response.ok && response.body) {
          onStatus("live");
          delay = MIN_RETRY_MS;
          await readEvents(response.body, handle);
        }
      } catch {
        // a network error or the abort of stop(): retried below unless stopped
      }
      if (stopped) return;
      onStatus("reconnecting");
      await new Promise((resolve) => setTimeout(resolve, delay * (0.75 + Math.random() / 2)));
      delay = Math.min(delay * 2, MAX_RETRY_MS);
    }
  }

  run();
  return () => {
    stopped = true;
    controller.abort();
  };
}
