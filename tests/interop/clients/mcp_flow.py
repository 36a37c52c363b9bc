"""MCP Python SDK against dcr-server: discovery, DCR and the authorization-code + PKCE flow.

Run with the interpreter of a venv holding ``mcp`` (1.x uses httpx, 2.x httpx2):

    python mcp_flow.py ISSUER SESSION_COOKIE RS_CLIENT_ID RS_CLIENT_SECRET REDIRECT_URI

Serves the example protected resource on 127.0.0.1 (examples/protected_resource.py: RFC 9728
metadata; bearer tokens checked by RFC 7662 introspection, ``aud`` must be the resource), then lets
``mcp.client.auth.OAuthClientProvider`` reach it: 401 -> resource metadata -> authorization
server metadata -> registration -> authorize (a logged-in user's session approves the consent
form) -> token -> 200. Prints one JSON summary line.
"""

from __future__ import annotations

import asyncio
import json
import sys
import urllib.parse
from html.parser import HTMLParser
from importlib.metadata import version
from pathlib import Path
from typing import Any

import mcp.client.auth.oauth2 as oauth2_module
import mcp.shared.auth as shared_auth
from mcp.client.auth import OAuthClientProvider
from mcp.client.auth.utils import build_oauth_authorization_server_metadata_discovery_urls
from mcp.shared.auth import (
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthMetadata,
    OAuthToken,
)

# mcp 2.x drives httpx2, 1.x httpx.
hx: Any = getattr(oauth2_module, "httpx2", None) or oauth2_module.httpx

# The redirect URI is never listened on: the handler captures the redirect to it.
ISSUER, SESSION, RS_ID, RS_SECRET, REDIRECT_URI = sys.argv[1:6]
seen: dict[str, Any] = {"resource_requests": [], "as_requests": []}


# --- the protected resource: examples/protected_resource.py (RFC 9728, aud-checked) ---------

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from examples.protected_resource import start as start_resource  # noqa: E402

# --- the user at the consent page ----------------------------------------------------------


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
    """Open the authorization URL as a logged-in user and approve the consent form."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(authorization_url).query)
    seen["authorize_query"] = sorted(query)
    seen["authorize_resource"] = query.get("resource")
    async with hx.AsyncClient(cookies={"sessionid": SESSION}, follow_redirects=False) as browser:
        page = await browser.get(authorization_url)
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


# --- the flow ------------------------------------------------------------------------------


async def record_request(request: Any) -> None:
    if str(request.url).startswith(ISSUER) or "/.well-known/" in request.url.path:
        body = request.content.decode() if request.content else ""
        seen["as_requests"].append({
            "method": request.method, "url": str(request.url),
            "content_type": request.headers.get("Content-Type"),
            "auth": request.headers.get("Authorization", "").split(" ")[0] or None,
            "body": json.loads(body) if body.startswith("{") else
                    sorted(urllib.parse.parse_qs(body)) if body else None,
        "resource": urllib.parse.parse_qs(body).get("resource")
                    if body and not body.startswith("{") else None,
        })  # fmt: skip


async def record_response(response: Any) -> None:
    for entry in reversed(seen["as_requests"]):
        if entry["url"] == str(response.request.url) and "status" not in entry:
            entry["status"] = response.status_code
            break


async def main() -> dict[str, Any]:
    protected = start_resource(issuer=ISSUER, client_id=RS_ID, client_secret=RS_SECRET)
    resource = protected.resource
    result: dict[str, Any] = {"mcp": version("mcp")}

    # 1. The SDK's own discovery URLs for a path-bearing issuer (RFC 8414 §3.1 insertion, OIDC).
    discovery = {}
    async with hx.AsyncClient() as plain:
        for url in build_oauth_authorization_server_metadata_discovery_urls(ISSUER, resource):
            response = await plain.get(url)
            entry: dict[str, Any] = {"status": response.status_code}
            if response.status_code == 200:
                metadata = OAuthMetadata.model_validate_json(response.content)
                entry["issuer"] = str(metadata.issuer)
                entry["registration_endpoint"] = str(metadata.registration_endpoint)
            discovery[url] = entry
    result["discovery"] = discovery

    # 2. The whole flow through OAuthClientProvider.
    storage = Memory()
    provider = OAuthClientProvider(
        server_url=resource,
        client_metadata=OAuthClientMetadata(
            client_name="MCP interop client", redirect_uris=[REDIRECT_URI]
        ),
        storage=storage,
        redirect_handler=redirect_handler,
        callback_handler=callback_handler,
    )
    hooks = {"request": [record_request], "response": [record_response]}
    async with hx.AsyncClient(auth=provider, event_hooks=hooks, timeout=30) as client:
        response = await client.post(resource, json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
        result["status"] = response.status_code
        result["body"] = response.json()
        # A second call reuses the token: no new flow.
        again = await client.post(resource, json={"jsonrpc": "2.0", "id": 2, "method": "ping"})
        result["second_status"] = again.status_code
    protected.stop()
    result["resource"] = resource
    result["checked"] = protected.checker.checked

    registered = storage.client
    result["registered"] = (
        registered.model_dump(mode="json", exclude_none=True) if registered else None
    )
    result["token"] = {
        "token_type": storage.tokens.token_type if storage.tokens else None,
        "scope": storage.tokens.scope if storage.tokens else None,
        "has_refresh_token": bool(storage.tokens and storage.tokens.refresh_token),
    }
    result.update(seen)
    return result


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
