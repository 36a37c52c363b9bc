// openid-client v5 against dcr-server: Issuer.discover, Client.register (RFC 7591),
// Client.fromUri (RFC 7592 read) and a client_credentials grant. Prints one JSON line.
//   NODE_PATH=<prefix>/node_modules node openid_client_v5.cjs ISSUER
"use strict";
const { Issuer } = require("openid-client");
const fs = require("node:fs");
const path = require("node:path");

// openid-client 5's "exports" hides package.json: read it next to the resolved entry point.
function packageVersion() {
  let dir = path.dirname(require.resolve("openid-client"));
  while (!fs.existsSync(path.join(dir, "package.json"))) dir = path.dirname(dir);
  return JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).version;
}

const ISSUER = process.argv[2];

async function main() {
  // Tries {issuer}/.well-known/openid-configuration (OIDC form) and validates the issuer.
  const issuer = await Issuer.discover(ISSUER);
  const oauthForm = await Issuer.discover(`${ISSUER}/.well-known/oauth-authorization-server`);

  const metadata = {
    client_name: "openid-client v5 interop",
    grant_types: ["client_credentials"],
    response_types: [],
  };
  const client = await issuer.Client.register(metadata);

  // RFC 7592 §2.1: read the registration back with the registration access token.
  const read = await issuer.Client.fromUri(
    client.registration_client_uri,
    client.registration_access_token,
  );

  const tokens = await client.grant({ grant_type: "client_credentials", scope: "openid" });
  return {
    "openid-client": packageVersion(),
    issuer: issuer.issuer,
    oauth_form_issuer: oauthForm.issuer,
    registration_endpoint: issuer.registration_endpoint,
    sent: metadata,
    registered: client.metadata,
    read_client_id: read.client_id,
    token_type: tokens.token_type,
    scope: tokens.scope,
    has_access_token: Boolean(tokens.access_token),
  };
}

main().then(
  (out) => console.log(JSON.stringify(out)),
  (err) => {
    console.error(err && err.stack ? err.stack : err);
    if (err && err.response) console.error(err.response.statusCode, err.response.body);
    process.exit(1);
  },
);
