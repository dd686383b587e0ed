// The HTTP API, as the signed-in person (the session cookie, sent by the browser, and the session's
// CSRF token on every change) or with a bearer token. Errors are `ApiError`s carrying the API's
// `{"error": ...}` message and, where the message names one, the path of the field at fault.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
    this.path = errorPath(message);
  }
}

/**
 * A write that became a change request (202: it touches a protected environment its author may not
 * change directly): nothing changed yet, `request` holds it. Views show it as they show a refusal.
 */
export class ChangeRequested extends ApiError {
  constructor(request) {
    super(202, `it waits for approval in change request #${request.id} (see Change requests)`);
    this.path = "";
    this.request = request;
  }
}

/**
 * The field a message is about, as a dotted path: "rules[0].conditions[1]: …" → "rules.0.conditions.1",
 * "variants.0.payload: …" → "variants.0.payload", "default_variant 'x' is …" → "default_variant".
 */
export function errorPath(message) {
  const match = /^([A-Za-z_][\w.[\]]*)/.exec(String(message || ""));
  if (!match) return "";
  return match[1]
    .replace(/\[(\d+)\]/g, ".$1")
    .replace(/\[.*$/, "")
    .replace(/\.+$/, "");
}

export function createApi(session, { onUnauthorized } = {}) {
  async function request(method, path, body) {
    const headers = { Accept: "application/json" };
    if (session.token) headers.Authorization = `Bearer ${session.token}`;
    else if (session.csrf && method !== "GET") headers["X-CSRF-Token"] = session.csrf;
    const init = { method, headers, cache: "no-store", credentials: "same-origin" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch {
      throw new ApiError(0, "cannot reach the server");
    }
    const text = response.status === 204 ? "" : await response.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (response.status === 202 && data && typeof data.requester === "string") throw new ChangeRequested(data);
    if (!response.ok) {
      const message = data && typeof data.error === "string" ? data.error : `${response.status} ${response.statusText}`;
      const error = new ApiError(response.status, message);
      if (response.status === 401 && onUnauthorized) onUnauthorized(error);
      throw error;
    }
    return data;
  }

  return {
    request,
    get: (path) => request("GET", path),
    post: (path, body) => request("POST", path, body),
    patch: (path, body) => request("PATCH", path, body),
    del: (path) => request("DELETE", path),
  };
}

/** `/flags/a.b` with each segment encoded. */
export function path(...parts) {
  return parts.map((part, index) => (index === 0 ? part : encodeURIComponent(part))).join("/");
}

export function query(params) {
  const pairs = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== "");
  return pairs.length ? `?${new URLSearchParams(pairs)}` : "";
}
