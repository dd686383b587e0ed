// A real OpenID Connect provider (the `oidc-provider` package, unmodified) for the single sign-on
// tests (tests/people/oidc.py starts it). Its own login and consent pages (the package's development
// interactions: any password is accepted for a known login) are driven by the tests over HTTP and in
// Chromium.
//
//   node oidc_provider.mjs PORT CONFIG.json
//
// CONFIG.json: {"client": {"client_id", "client_secret", "redirect_uris": [...]},
//               "accounts": "path/to/accounts.json"}
// accounts.json is read at every sign-in, so a test changes a person's groups by rewriting it:
//   {"alice": {"email": "alice@example.com", "name": "Alice", "groups": ["vexil-editors"]}}
// Prints "ready <issuer>" once listening.

import { readFileSync } from "node:fs";
import Provider from "oidc-provider";

const [port, configPath] = process.argv.slice(2);
const config = JSON.parse(readFileSync(configPath, "utf8"));
const issuer = `http://127.0.0.1:${port}`;

function accounts() {
  return JSON.parse(readFileSync(config.accounts, "utf8"));
}

const provider = new Provider(issuer, {
  clients: [{ grant_types: ["authorization_code"], response_types: ["code"], ...config.client }],
  pkce: { required: () => true },
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["name"],
    groups: ["groups"],
  },
  scopes: ["openid", "email", "profile", "groups"],
  cookies: { keys: ["vexil-tests-only-cookie-key"] },
  async findAccount(ctx, id) {
    if (!(id in accounts())) return undefined;
    return {
      accountId: id,
      async claims() {
        const account = accounts()[id];
        const claims = { sub: id, name: account.name, groups: account.groups };
        if (account.email !== undefined) Object.assign(claims, { email: account.email, email_verified: true });
        return claims;
      },
    };
  },
});
provider.proxy = false;

const server = provider.listen(Number(port), "127.0.0.1", () => {
  process.stdout.write(`ready ${issuer}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
