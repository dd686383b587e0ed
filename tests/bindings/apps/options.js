// What both test apps read from the page's query string (see page.html), and the client they share.
import { createClient } from "@vexil/client";

const query = new URLSearchParams(location.search);
const json = (name, otherwise) => (query.has(name) ? JSON.parse(query.get(name)) : otherwise);

export const FLAG = "banner";
export const fallback = json("fallback", false);
export const ttl = json("ttl", 0);
export const client = createClient({ url: query.get("vexil"), context: json("context", {}) });
window.vexil = client; // for the tests: watching(), setContext()
