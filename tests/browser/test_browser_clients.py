"""Browser clients in a real browser (Playwright + Debian's chromium) against live_server:
cross-origin fetches from a page on another origin (CORS as a browser enforces it), and the
consent page as a user sees it.

Screenshots go to a temporary folder, or to docs/screenshots/ with DCR_UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as HttpClient
from playwright.sync_api import Browser, Page

from registration.models import DCRSettings
from registration.services import resource_server_create
from tenants.models import Workspace
from tenants.resolve import find_workspace
from tenants.services import workspace_create
from tests.helpers import sign_in
from tests.oauth.conftest import pkce_pair

DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SCREENSHOTS = (
    DOCS_SCREENSHOTS
    if os.environ.get("DCR_UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "dcr-screenshots"
)

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    context.set_default_timeout(10_000)
    new_page = context.new_page()
    yield new_page
    context.close()


@pytest.fixture
def site(transactional_db: None, live_server: Any) -> tuple[str, Workspace]:
    """default/default with DCR on, served on loopback (made again after each flush)."""
    ws = find_workspace("default", "default") or workspace_create(
        tenant_slug="default", workspace_slug="default"
    )
    DCRSettings.objects.filter(workspace=ws).update(enabled=True)
    ws.refresh_from_db()
    # 127.0.0.1, not "localhost": chromium may try ::1 first, where nothing listens.
    return str(live_server.url).rstrip("/").replace("//localhost:", "//127.0.0.1:"), ws


@pytest.fixture
def other_origin() -> Iterator[str]:
    """An empty page on another origin (another port of 127.0.0.1) to fetch from."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<!doctype html><title>spa</title><p>single-page app</p>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


FETCHES = """async (issuer) => {
  const out = {};
  const read = async (name, promise) => {
    try { const r = await promise; out[name] = {status: r.status, body: await r.json()}; }
    catch (e) { out[name] = {blocked: String(e)}; }
  };
  // A header outside the CORS-safelist forces a preflight, as MCP clients send it.
  await read("discovery", fetch(issuer + "/.well-known/oauth-authorization-server",
    {headers: {"MCP-Protocol-Version": "2025-06-18"}}));
  await read("inserted", fetch(new URL(issuer).origin + "/.well-known/openid-configuration"
    + new URL(issuer).pathname));
  await read("jwks", fetch(issuer + "/.well-known/jwks.json"));
  await read("register", fetch(issuer + "/oauth2/register", {method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({client_name: "Browser SPA", grant_types: ["client_credentials"]})}));
  const reg = out.register.body || {};
  await read("read", fetch(reg.registration_client_uri,
    {headers: {Authorization: "Bearer " + reg.registration_access_token}}));
  const basic = "Basic " + btoa(reg.client_id + ":" + reg.client_secret);
  await read("token", fetch(issuer + "/oauth2/token", {method: "POST",
    headers: {Authorization: basic, "Content-Type": "application/x-www-form-urlencoded"},
    body: "grant_type=client_credentials"}));
  await read("bad_token", fetch(issuer + "/oauth2/token", {method: "POST",
    headers: {Authorization: "Basic " + btoa(reg.client_id + ":wrong"),
              "Content-Type": "application/x-www-form-urlencoded"},
    body: "grant_type=client_credentials"}));
  out.bad_token_challenge = null;
  try {
    const r = await fetch(issuer + "/oauth2/token", {method: "POST",
      headers: {Authorization: "Basic " + btoa(reg.client_id + ":wrong"),
                "Content-Type": "application/x-www-form-urlencoded"},
      body: "grant_type=client_credentials"});
    out.bad_token_challenge = r.headers.get("WWW-Authenticate");
  } catch (e) {}
  await read("introspect", fetch(issuer + "/oauth2/introspect", {method: "POST",
    headers: {Authorization: basic, "Content-Type": "application/x-www-form-urlencoded"},
    body: "token=x"}));
  return out;
}"""


def test_browser_client_registers_and_gets_a_token_cross_origin(
    page: Page, site: tuple[str, Workspace], other_origin: str
) -> None:
    """A page on another origin reads discovery, JWKS, registers, reads its registration and
    gets a token (preflights included); error bodies and challenges are readable; the
    introspection endpoint stays closed to browsers (no CORS)."""
    base, workspace = site
    page.goto(other_origin)
    out = page.evaluate(FETCHES, base + workspace.path)

    assert out["discovery"]["status"] == 200, out
    assert out["discovery"]["body"]["issuer"] == base + workspace.path
    assert out["inserted"]["status"] == 200, out
    assert out["jwks"]["status"] == 200
    assert out["register"]["status"] == 201, out
    assert out["read"]["status"] == 200, out
    assert out["token"]["status"] == 200, out
    assert out["token"]["body"]["access_token"]
    assert out["bad_token"]["status"] == 401
    assert out["bad_token"]["body"]["error"] == "invalid_client"
    assert out["bad_token_challenge"]  # exposed to scripts
    assert "blocked" in out["introspect"], out["introspect"]


def test_consent_page_shows_where_the_answer_goes_and_who_registered(
    page: Page, site: tuple[str, Workspace]
) -> None:
    """The consent page names the redirect host and how the client is known (self-registered,
    unverified name), besides the self-asserted client_name."""
    base, workspace = site
    user = get_user_model().objects.create_user(username="alice", password="correct horse 42")
    browser_session = HttpClient()
    sign_in(browser_session, user, workspace)
    page.context.add_cookies(
        [{"name": "sessionid", "value": browser_session.cookies["sessionid"].value, "url": base}]
    )
    registration = HttpClient(HTTP_HOST=base.split("//", 1)[1]).post(
        f"{workspace.path}/oauth2/register",
        data={
            "client_name": "Example Notes",
            "grant_types": ["authorization_code"],
            "redirect_uris": ["https://notes.example.com/oauth/callback"],
        },
        content_type="application/json",
    )
    assert registration.status_code == 201, registration.content
    client = registration.json()
    _, challenge = pkce_pair()
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client["client_id"],
            "redirect_uri": "https://notes.example.com/oauth/callback",
            "scope": "openid profile email",
            "state": "s1",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "resource": "https://mcp.example.com/mcp",
        }
    )
    page.goto(f"{base}{workspace.path}/oauth2/authorize?{query}")

    text = page.inner_text("main")
    assert "Example Notes" in text
    assert "notes.example.com" in text  # where the answer goes
    assert "Registered itself (dynamic client registration)" in text
    assert "has not been checked" in text
    assert client["client_id"] in text
    assert "https://mcp.example.com/mcp" in text  # the RFC 8707 resource the token is for
    assert page.locator("bdi.name").first.inner_text() == "Example Notes"
    assert page.locator("script").count() == 0  # CSP-ready: no scripts
    assert page.locator("[style]").count() == 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "consent-dcr.png"), full_page=True)

    # A client created by an administrator is shown as such.
    rs, _ = resource_server_create(workspace=workspace, name="Internal Dashboard")
    rs.redirect_uris = "http://127.0.0.1:8765/callback"
    rs.grant_types = ["authorization_code"]
    rs.response_types = ["code"]
    rs.scope = "openid"
    rs.authorization_grant_type = "authorization-code"
    rs.save()
    query = urlencode(
        {
            "response_type": "code",
            "client_id": rs.client_id,
            "redirect_uri": "http://127.0.0.1:8765/callback",
            "scope": "openid",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    page.goto(f"{base}{workspace.path}/oauth2/authorize?{query}")
    text = page.inner_text("main")
    assert "Added by an administrator of this service" in text
    assert "127.0.0.1:8765" in text
    assert "An application running on this device." in text
    assert "has not been checked" not in text
    page.screenshot(path=str(SCREENSHOTS / "consent-manual.png"), full_page=True)
