"""MCP Python SDK against dcr-server by Client ID Metadata Document (no registration).

Run with the interpreter of a venv holding ``mcp`` (1.x uses httpx, 2.x httpx2):

    python mcp_cimd_flow.py ISSUER SESSION_COOKIE RS_CLIENT_ID RS_CLIENT_SECRET REDIRECT_URI CLIENT_ID_URL

Serves a tiny protected resource on 127.0.0.1 (RFC 9728 metadata; bearer tokens checked by RFC
7662 introspection), then lets ``mcp.client.auth.OAuthClientProvider`` with
``client_metadata_url=CLIENT_ID_URL`` reach it: 401 -> resource metadata -> authorization server
metadata (``client_id_metadata_document_supported``) -> authorize with the URL as client_id (a
logged-in user's session approves the consent form) -> token -> 200. The server fetches the
document itself; this script never serves it. Prints one JSON summary line.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import threading
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version
from typing import Any

import mcp.client.auth.oauth2 as oauth2_module
import mcp.shared.auth as shared_auth
from mcp.client.auth import OAuthClientProvider
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

hx: Any = getattr(oauth2_module, "httpx2", None) or oauth2_module.httpx

ISSUER, SESSION, RS_ID, RS_SECRET, REDIRECT_URI, CLIENT_ID_URL = sys.argv[1:7]
seen: dict[str, Any] = {"as_requests": []}


def introspect(token: str) -> dict[str, Any]:
    basic = base64.b64encode(f"{RS_ID}:{RS_SECRET}".encode()).decode()
    request = urllib.request.Request(
        f"{ISSUER}/oauth2/introspect",
        data=urllib.parse.urlencode({"token": token}).encode(),
        headers={"Authorization": f"Basic {basic}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        result: dict[str, Any] = json.load(response)
    return result


class Resource(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def _json(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        base = f"http://{self.headers['Host']}"
        if self.path.startswith("/.well-known/oauth-protected-resource"):
            self._json(200, {"resource": f"{base}/mcp", "authorization_servers": [ISSUER],
                             "bearer_methods_supported": ["header"]})  # fmt: skip
            return
        authorization = self.headers.get("Authorization", "")
        if authorization.lower().startswith("bearer "):
            info = introspect(authorization[7:])
            if info.get("active"):
                seen["introspection"] = {k: info.get(k) for k in ("active", "client_id", "scope")}
                self._json(200, {"ok": True})
                return
        challenge = f'Bearer resource_metadata="{base}/.well-known/oauth-protected-resource/mcp"'
        self._json(401, {"error": "invalid_token"}, {"WWW-Authenticate": challenge})

    do_GET = _handle
    do_POST = _handle


class FormInputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "input" and values.get("type") == "hidden" and values.get("name"):
            self.fields[values["name"] or ""] = values.get("value") or ""


captured: dict[str, str | None] = {}


async def redirect_handler(authorization_url: str) -> None:
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(authorization_url).query)
    seen["authorize_client_id"] = query.get("client_id", [None])[0]
    seen["authorize_query"] = sorted(query)
    async with hx.AsyncClient(cookies={"sessionid": SESSION}, follow_redirects=False) as browser:
        page = await browser.get(authorization_url)
        seen["consent_status"] = page.status_code
        seen["consent_shows_name"] = "MCP CIMD interop client" in page.text
        if page.status_code == 200:
            form = FormInputs()
            form.feed(page.text)
            page = await browser.post(authorization_url, data={**form.fields, "allow": "Authorize"})
        location = page.headers.get("Location", "")
        if page.status_code != 302 or not location.startswith(REDIRECT_URI):
            raise RuntimeError(
                f"authorization failed: {page.status_code} {location} {page.text[:300]}"
            )
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    if "code" not in params:
        raise RuntimeError(f"authorization answered an error: {location}")
    captured.update(code=params.get("code"), state=params.get("state"), iss=params.get("iss"))


async def callback_handler() -> Any:
    if hasattr(shared_auth, "AuthorizationCodeResult"):  # 2.x
        return shared_auth.AuthorizationCodeResult(**captured)
    return captured["code"], captured["state"]  # 1.x


class Memory:
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


async def record_request(request: Any) -> None:
    if str(request.url).startswith(ISSUER) or "/.well-known/" in request.url.path:
        body = request.content.decode() if request.content else ""
        seen["as_requests"].append({
            "method": request.method, "url": str(request.url),
            "body": json.loads(body) if body.startswith("{") else
                    dict(urllib.parse.parse_qsl(body)) if body else None,
        })  # fmt: skip


async def record_response(response: Any) -> None:
    for entry in reversed(seen["as_requests"]):
        if entry["url"] == str(response.request.url) and "status" not in entry:
            entry["status"] = response.status_code
            break


async def main() -> dict[str, Any]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Resource)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    resource = f"http://127.0.0.1:{server.server_port}/mcp"
    result: dict[str, Any] = {"mcp": version("mcp")}
    storage = Memory()
    provider = OAuthClientProvider(
        server_url=resource,
        client_metadata=OAuthClientMetadata(
            client_name="MCP CIMD interop client", redirect_uris=[REDIRECT_URI]
        ),
        storage=storage,
        redirect_handler=redirect_handler,
        callback_handler=callback_handler,
        client_metadata_url=CLIENT_ID_URL,
    )
    hooks = {"request": [record_request], "response": [record_response]}
    async with hx.AsyncClient(auth=provider, event_hooks=hooks, timeout=30) as client:
        response = await client.post(resource, json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
        result["status"] = response.status_code
        again = await client.post(resource, json={"jsonrpc": "2.0", "id": 2, "method": "ping"})
        result["second_status"] = again.status_code
    server.shutdown()
    result["client_id"] = storage.client.client_id if storage.client else None
    result["has_refresh_token"] = bool(storage.tokens and storage.tokens.refresh_token)
    result.update(seen)
    return result


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
