// The TypeScript MCP SDK (@modelcontextprotocol/sdk) client auth flow against dcr-server:
// 401 from the protected resource -> RFC 9728 resource metadata -> RFC 8414 metadata ->
// RFC 7591 registration -> authorize (a logged-in user's session approves the consent form)
// -> token exchange with PKCE and RFC 8707 resource -> the resource accepts the token.
//   node mcp_ts_flow.mjs RESOURCE_URL SESSION_COOKIE REDIRECT_URI
// (run from the install prefix so the import resolves). Prints one JSON line.
import { auth, extractWWWAuthenticateParams } from "@modelcontextprotocol/sdk/client/auth.js";
import { readFileSync } from "node:fs";

const [RESOURCE, SESSION, REDIRECT_URI] = process.argv.slice(2);
const seen = { requests: [] };

// Every request the SDK makes, with what it sent and got (no secrets: names only).
async function recordingFetch(url, init = {}) {
  const response = await fetch(url, init);
  const body = typeof init.body === "string" ? init.body : init.body ? String(init.body) : "";
  const form = body && !body.startsWith("{") ? new URLSearchParams(body) : null;
  seen.requests.push({
    method: init.method || "GET",
    url: String(url),
    status: response.status,
    fields: form ? [...new Set(form.keys())].sort() : body ? Object.keys(JSON.parse(body)).sort() : [],
    resource: form ? form.getAll("resource") : null,
  });
  return response;
}

const unescape = (text) =>
  text.replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

// The user: open the authorization URL with a logged-in session and press "Authorize".
async function approve(authorizationUrl) {
  const cookies = { sessionid: SESSION };
  const cookieHeader = () => Object.entries(cookies).map(([k, v]) => `${k}=${v}`).join("; ");
  const page = await fetch(authorizationUrl, { headers: { cookie: cookieHeader() }, redirect: "manual" });
  for (const line of page.headers.getSetCookie()) {
    const [pair] = line.split(";");
    const [name, value] = pair.split("=");
    cookies[name.trim()] = value;
  }
  if (page.status !== 200) throw new Error(`consent page: ${page.status} ${page.headers.get("location")}`);
  const html = await page.text();
  const fields = new URLSearchParams();
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) {
    fields.append(match[1], unescape(match[2]));
  }
  fields.append("allow", "Authorize");
  const answer = await fetch(authorizationUrl, {
    method: "POST",
    headers: { cookie: cookieHeader(), "content-type": "application/x-www-form-urlencoded" },
    body: fields.toString(),
    redirect: "manual",
  });
  const location = answer.headers.get("location") || "";
  if (answer.status !== 302 || !location.startsWith(REDIRECT_URI)) {
    throw new Error(`authorization failed: ${answer.status} ${location}`);
  }
  return Object.fromEntries(new URL(location).searchParams);
}

class MemoryProvider {
  constructor() {
    this.client = undefined;
    this.stored = undefined;
    this.verifier = undefined;
    this.authorizationUrl = undefined;
  }
  get redirectUrl() { return REDIRECT_URI; }
  get clientMetadata() {
    return {
      client_name: "MCP TypeScript interop client",
      redirect_uris: [REDIRECT_URI],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }
  state() { return "ts-state-1"; }
  clientInformation() { return this.client; }
  saveClientInformation(info) { this.client = info; }
  tokens() { return this.stored; }
  saveTokens(tokens) { this.stored = tokens; }
  redirectToAuthorization(url) { this.authorizationUrl = url; }
  saveCodeVerifier(verifier) { this.verifier = verifier; }
  codeVerifier() { return this.verifier; }
}

async function callResource(token) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  return fetch(RESOURCE, {
    method: "POST",
    headers,
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
  });
}

async function main() {
  // The package's exports map hides package.json: read it from the install prefix.
  const manifest = new URL("./node_modules/@modelcontextprotocol/sdk/package.json", import.meta.url);
  const out = { sdk: JSON.parse(readFileSync(manifest, "utf8")).version };
  const unauthorized = await callResource();
  out.first_status = unauthorized.status;
  const { resourceMetadataUrl } = extractWWWAuthenticateParams(unauthorized);
  out.resource_metadata_url = resourceMetadataUrl ? String(resourceMetadataUrl) : null;

  const provider = new MemoryProvider();
  const options = { serverUrl: RESOURCE, resourceMetadataUrl, fetchFn: recordingFetch };
  out.first_auth = await auth(provider, options);
  const query = provider.authorizationUrl.searchParams;
  out.authorize = {
    resource: query.getAll("resource"),
    code_challenge_method: query.get("code_challenge_method"),
    has_code_challenge: Boolean(query.get("code_challenge")),
  };
  const callback = await approve(provider.authorizationUrl);
  out.callback = { iss: callback.iss, state: callback.state, has_code: Boolean(callback.code) };
  out.second_auth = await auth(provider, { ...options, authorizationCode: callback.code });
  out.registered = provider.client;
  out.token_type = provider.stored && provider.stored.token_type;
  out.has_refresh_token = Boolean(provider.stored && provider.stored.refresh_token);

  const ok = await callResource(provider.stored.access_token);
  out.status = ok.status;
  out.body = await ok.json();
  out.requests = seen.requests;
  return out;
}

main().then(
  (out) => console.log(JSON.stringify(out)),
  (error) => {
    console.error(error && error.stack ? error.stack : String(error));
    console.log(JSON.stringify({ error: String(error), requests: seen.requests }));
    process.exit(1);
  },
);
