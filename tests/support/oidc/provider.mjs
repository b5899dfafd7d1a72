// An OpenID provider for the tests: node-oidc-provider (OpenID Certified), configured from the
// JSON file named by the first argument: {issuer, port, clients: [...], accounts: {login: claims}}.
// Its development login form takes any login name (the password is not checked); the account's
// claims come from `accounts` (a login not listed gets only a name and an address).
// An API client asking for a `resource` gets a JWT access token for it (RFC 9068), with the
// account's groups and address among its claims.
// POST /-/rotate makes new signing keys (the old ones are no longer published): a key rotation
// at the provider, without a restart.
import { readFileSync } from "node:fs";
import http from "node:http";
import { generateKeyPair, exportJWK } from "jose";
import Provider from "oidc-provider";

const settings = JSON.parse(readFileSync(process.argv[2], "utf8"));
let generation = 0;

async function signingKeys() {
  generation += 1;
  const keys = [];
  for (const alg of settings.algorithms || ["RS256", "ES256"]) {
    const { privateKey } = await generateKeyPair(alg, { extractable: true });
    keys.push({ ...(await exportJWK(privateKey)), alg, use: "sig", kid: `${alg}-${generation}-${Date.now()}` });
  }
  return { keys };
}

function claimsOf(login) {
  const known = settings.accounts[login] || {};
  return { sub: login, name: known.name || login, email: known.email || `${login}@${settings.domain}`,
           email_verified: true, groups: known.groups || [] };
}

async function provider() {
  const made = new Provider(settings.issuer, {
    clients: settings.clients,
    jwks: await signingKeys(),
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"], groups: ["groups"] },
    scopes: ["openid", "email", "profile", "groups", "api"],
    pkce: { required: () => true },
    cookies: { keys: ["test-provider-cookie-key"] },
    enabledJWA: { idTokenSigningAlgValues: settings.algorithms || ["RS256", "ES256"] },
    ttl: { AuthorizationCode: 60, IdToken: 300, AccessToken: 300, Session: 3600, Interaction: 600, Grant: 3600 },
    features: {
      devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true },
      resourceIndicators: {
        enabled: true, defaultResource: () => undefined, useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resource) => ({
          scope: "api", audience: resource, accessTokenTTL: 300, accessTokenFormat: "jwt",
          jwt: { sign: { alg: (settings.algorithms || ["RS256"])[0] } },
        }),
      },
    },
    extraTokenClaims: async (ctx, token) => (token.accountId
      ? { groups: claimsOf(token.accountId).groups, email: claimsOf(token.accountId).email } : undefined),
    findAccount: async (ctx, id) => ({ accountId: id, claims: async () => claimsOf(id) }),
  });
  made.proxy = true;
  return made;
}

let current = await provider();
http.createServer(async (request, response) => {
  if (request.method === "POST" && request.url === "/-/rotate") {
    current = await provider();
    response.writeHead(204).end();
    return;
  }
  current.callback()(request, response);
}).listen(settings.port, "127.0.0.1", () => console.log(`provider ${settings.issuer} ready`));
