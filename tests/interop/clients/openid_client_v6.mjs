// openid-client v6 against dcr-server: discovery, dynamicClientRegistration (RFC 7591) and
// clientCredentialsGrant. v6 refuses http:// issuers; allowInsecureRequests is used because the
// test server listens on plain-HTTP loopback. Prints one JSON line.
//   node openid_client_v6.mjs ISSUER post|basic   (run from the install prefix so the import resolves)
// "post": registers client_secret_post, v6's default client authentication when none is given.
// "basic": registers with the server's default (client_secret_basic) and passes
//   client.ClientSecretBasic(), which form-urlencodes id and secret (RFC 6749 §2.3.1) before Basic.
import * as client from "openid-client";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const ISSUER = process.argv[2];
const MODE = process.argv[3] || "post";
const insecure = { execute: [client.allowInsecureRequests] };

async function main() {
  const server = new URL(ISSUER);
  // algorithm "oidc": {issuer}/.well-known/openid-configuration;
  // "oauth2": RFC 8414 §3.1 path insertion /.well-known/oauth-authorization-server{path}.
  const oidc = await client.discovery(server, "probe", undefined, undefined, insecure);
  const oauth2 = await client.discovery(server, "probe", undefined, undefined, {
    ...insecure,
    algorithm: "oauth2",
  });

  const metadata = {
    client_name: "openid-client v6 interop",
    grant_types: ["client_credentials"],
    response_types: [],
  };
  let auth;
  if (MODE === "post") metadata.token_endpoint_auth_method = "client_secret_post";
  else auth = client.ClientSecretBasic();
  const config = await client.dynamicClientRegistration(server, metadata, auth, insecure);
  const registered = config.clientMetadata();
  const tokens = await client.clientCredentialsGrant(config, { scope: "openid" });

  return {
    "openid-client": require("openid-client/package.json").version,
    issuer: oidc.serverMetadata().issuer,
    oauth2_issuer: oauth2.serverMetadata().issuer,
    registration_endpoint: oidc.serverMetadata().registration_endpoint,
    mode: MODE,
    sent: metadata,
    registered,
    token_type: tokens.token_type,
    scope: tokens.scope,
    has_access_token: Boolean(tokens.access_token),
  };
}

main().then(
  (out) => console.log(JSON.stringify(out)),
  (err) => {
    console.error(err && err.stack ? err.stack : err);
    if (err && err.cause) console.error("cause:", JSON.stringify(err.cause));
    process.exit(1);
  },
);
