// TypeScript MCP SDK (@modelcontextprotocol/sdk) against dcr-server by Client ID Metadata
// Document: the SDK's auth() with an OAuthClientProvider whose clientMetadataUrl is the
// client_id URL (no registration).
//
//   node mcp_ts_cimd_flow.mjs ISSUER SESSION_COOKIE RS_CLIENT_ID RS_CLIENT_SECRET REDIRECT_URI CLIENT_ID_URL
//
// Serves a small protected resource on 127.0.0.1 (RFC 9728 metadata, tokens checked by RFC 7662
// introspection); auth() -> REDIRECT (a logged-in user's session approves the consent form) ->
// auth() with the code -> AUTHORIZED; the resource then answers 200. Prints one JSON line.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';

const [ISSUER, SESSION, RS_ID, RS_SECRET, REDIRECT_URI, CLIENT_ID_URL] = process.argv.slice(2);
const pkg = JSON.parse(
  readFileSync(new URL('./node_modules/@modelcontextprotocol/sdk/package.json', import.meta.url)),
);
const seen = { requests: [] };

async function introspect(token) {
  const basic = Buffer.from(`${RS_ID}:${RS_SECRET}`).toString('base64');
  const response = await fetch(`${ISSUER}/oauth2/introspect`, {
    method: 'POST',
    headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }),
  });
  return response.json();
}

const server = http.createServer(async (request, response) => {
  const base = `http://${request.headers.host}`;
  const send = (status, body, headers = {}) => {
    response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    response.end(JSON.stringify(body));
  };
  if (request.url.startsWith('/.well-known/oauth-protected-resource')) {
    send(200, { resource: `${base}/mcp`, authorization_servers: [ISSUER], bearer_methods_supported: ['header'] });
    return;
  }
  const authorization = request.headers.authorization || '';
  if (authorization.toLowerCase().startsWith('bearer ')) {
    const info = await introspect(authorization.slice(7));
    if (info.active) {
      seen.introspection = { active: info.active, client_id: info.client_id };
      send(200, { ok: true });
      return;
    }
  }
  send(401, { error: 'invalid_token' }, {
    'WWW-Authenticate': `Bearer resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`,
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const resource = `http://127.0.0.1:${server.address().port}/mcp`;
const resourceMetadataUrl = new URL(`http://127.0.0.1:${server.address().port}/.well-known/oauth-protected-resource/mcp`);

const store = {};
const provider = {
  get redirectUrl() { return REDIRECT_URI; },
  get clientMetadata() {
    return { client_name: 'MCP CIMD interop client', redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none' };
  },
  clientMetadataUrl: CLIENT_ID_URL,
  clientInformation() { return store.client; },
  saveClientInformation(info) { store.client = info; },
  tokens() { return store.tokens; },
  saveTokens(tokens) { store.tokens = tokens; },
  redirectToAuthorization(url) { store.authorizationUrl = url; },
  saveCodeVerifier(verifier) { store.verifier = verifier; },
  codeVerifier() { return store.verifier; },
};

const recordingFetch = async (url, init) => {
  const response = await fetch(url, init);
  const body = init?.body ? String(init.body) : '';
  seen.requests.push({ url: String(url), method: init?.method || 'GET', status: response.status,
    body: body.startsWith('{') ? JSON.parse(body) : Object.fromEntries(new URLSearchParams(body)) });
  return response;
};

function cookiesOf(response) {
  return (response.headers.getSetCookie?.() || []).map((cookie) => cookie.split(';')[0]);
}

async function approve(authorizationUrl) {
  const cookies = [`sessionid=${SESSION}`];
  const page = await fetch(authorizationUrl, { headers: { Cookie: cookies.join('; ') }, redirect: 'manual' });
  seen.consent_status = page.status;
  const html = await page.text();
  seen.consent_shows_name = html.includes('MCP CIMD interop client');
  cookies.push(...cookiesOf(page));
  const fields = {};
  for (const match of html.matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
    const name = /name="([^"]*)"/.exec(match[0]);
    const value = /value="([^"]*)"/.exec(match[0]);
    if (name) fields[name[1]] = (value ? value[1] : '').replaceAll('&amp;', '&').replaceAll('&quot;', '"');
  }
  const posted = await fetch(authorizationUrl, {
    method: 'POST',
    headers: { Cookie: cookies.join('; '), 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...fields, allow: 'Authorize' }),
    redirect: 'manual',
  });
  const location = posted.headers.get('location') || '';
  const code = new URL(location, ISSUER).searchParams.get('code');
  if (posted.status !== 302 || !location.startsWith(REDIRECT_URI) || !code) {
    throw new Error(`authorization failed: ${posted.status} ${location}`);
  }
  return code;
}

const result = { sdk: pkg.version };
const first = await fetch(resource);
result.first_status = first.status;
result.first_auth = await auth(provider, { serverUrl: resource, resourceMetadataUrl, fetchFn: recordingFetch });
result.authorize_client_id = store.authorizationUrl.searchParams.get('client_id');
result.authorize_query = [...store.authorizationUrl.searchParams.keys()].sort();
const code = await approve(store.authorizationUrl);
result.second_auth = await auth(provider, {
  serverUrl: resource, resourceMetadataUrl, authorizationCode: code, fetchFn: recordingFetch,
});
const answer = await fetch(resource, { headers: { Authorization: `Bearer ${store.tokens.access_token}` } });
result.status = answer.status;
result.client_id = store.client?.client_id;
result.has_refresh_token = Boolean(store.tokens?.refresh_token);
server.close();
console.log(JSON.stringify({ ...result, ...seen }));
