// An OpenID provider for the tests: node's oidc-provider, on loopback.
//
//   node provider.mjs PORT ACCOUNTS_FILE REDIRECT_URIS POST_LOGOUT_URIS [MODE]
//
// (the URIs separated by commas)
//
// Its login page takes any login name (and any password); the claims of an
// account are read from ACCOUNTS_FILE (JSON: {login: {claim: value}}) at every
// sign-in, so a test changes them by rewriting the file. Two clients are
// registered: "csrtool" (secret "csrtool-secret") and "other-app".
//
// MODE misbehaves on purpose, with the provider's own keys:
//   audience      the token endpoint answers with an ID token made for other-app
//   expired       ... with an ID token that expired ten minutes ago
//   other-issuer  discovery is also served under /elsewhere, naming the issuer
//                 ISSUER/elsewhere; tokens still say ISSUER
import fs from "node:fs";

import Provider from "oidc-provider";

const [port, accountsFile, redirectUris, postLogoutUris, mode = ""] =
  process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

function claimsOf(login) {
  const accounts = JSON.parse(fs.readFileSync(accountsFile, "utf8"));
  return accounts[login];
}

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: "csrtool",
      client_secret: "csrtool-secret",
      redirect_uris: redirectUris.split(","),
      post_logout_redirect_uris: postLogoutUris.split(","),
    },
    {
      client_id: "other-app",
      client_secret: "other-secret",
      redirect_uris: redirectUris.split(","),
    },
  ],
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["name", "groups", "department"],
  },
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ["test-only-cookie-key"] },
  async findAccount(ctx, id) {
    if (!claimsOf(id)) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, ...claimsOf(id) };
      },
    };
  },
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope("openid email profile");
    await grant.save();
    return grant;
  },
});

function payloadOf(jwt) {
  return JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString());
}

provider.use(async (ctx, next) => {
  const elsewhere =
    mode === "other-issuer" && ctx.path === "/elsewhere/.well-known/openid-configuration";
  if (elsewhere) ctx.path = "/.well-known/openid-configuration";
  await next();
  if (elsewhere) ctx.body = { ...ctx.body, issuer: `${issuer}/elsewhere` };
  if (ctx.path === "/token" && ctx.body && ctx.body.id_token && mode) {
    const original = payloadOf(ctx.body.id_token);
    const { sub, aud, iss, exp, iat, auth_time, at_hash, ...claims } = original;
    let client = await provider.Client.find(aud);
    let expiresAt = null;
    if (mode === "audience") client = await provider.Client.find("other-app");
    if (mode === "expired") expiresAt = Math.floor(Date.now() / 1000) - 600;
    const token = new provider.IdToken({ sub }, { ctx, client });
    token.scope = "openid";
    for (const [key, value] of Object.entries(claims)) token.set(key, value);
    if (expiresAt) token.set("iat", expiresAt - 3600);
    ctx.body = { ...ctx.body, id_token: await token.issue({ use: "idtoken", expiresAt }) };
  }
});

provider.listen(Number(port), "127.0.0.1", () => {
  process.stdout.write(`ready ${issuer}\n`);
});
