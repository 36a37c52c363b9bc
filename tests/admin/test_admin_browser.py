"""The admin console in a real browser (Playwright + Debian's chromium) against live_server.

One browser per module; each test gets a fresh 1280px-wide page. Screenshots of the main pages
are taken on every run; they replace docs/screenshots/ only with DCR_UPDATE_SCREENSHOTS=1
(otherwise they go to a temporary folder, so a test run leaves the tree clean).
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from registration.models import AuditEvent, DCRSettings
from tenants.models import Workspace
from tenants.services import access_grant, workspace_create
from tests.admin.conftest import PASSWORD, make_user

DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SCREENSHOTS = (
    DOCS_SCREENSHOTS
    if os.environ.get("DCR_UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "dcr-screenshots"
)
LAPTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=LAPTOP)
    context.set_default_timeout(10_000)
    new_page = context.new_page()
    # The pages must work under the strict Content-Security-Policy: no violation reported.
    violations: list[str] = []
    new_page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield new_page
    context.close()
    assert not violations, violations


@pytest.fixture
def site(live_server: Any, workspace: Workspace, superuser: Any) -> str:
    """default/default with DCR off, default/staging for the switcher, acme/prod of another
    tenant, and "tina", admin of the tenant default; the base URL."""
    DCRSettings.objects.filter(workspace=workspace).update(enabled=False)
    if not Workspace.objects.filter(tenant__slug="acme").exists():
        workspace_create(tenant_slug="acme", workspace_slug="prod")
    if not Workspace.objects.filter(tenant__slug="default", slug="staging").exists():
        workspace_create(tenant_slug="default", workspace_slug="staging", name="Staging")
    tina = make_user("tina", staff=True)
    access_grant(user=tina, tenant=workspace.tenant, workspace=None, role="admin")
    return str(live_server.url)


def shot(page: Page, name: str, *, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def http(
    method: str, url: str, *, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def discovery(base: str) -> dict[str, Any]:
    status, body = http("GET", f"{base}/default/default/.well-known/openid-configuration")
    assert status == 200
    return dict(body)


def login(page: Page, base: str, username: str = "tina") -> None:
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#workspace-list")).to_be_visible()


def _seed_activity(workspace: Workspace) -> None:
    """Thirty days of registrations and refusals in the audit trail (what the overview's chart
    reads), so its screenshot shows a chart rather than an empty frame."""
    now = timezone.now()
    for day in range(30):
        for index in range((day * 7) % 5 + 1):
            refused = (day + index) % 4 == 0
            AuditEvent.objects.create(
                workspace=workspace,
                time=now - timedelta(days=day, hours=index),
                event="refused" if refused else "register",
                operation="register",
                outcome="invalid_redirect_uri" if refused else "ok",
                rule="redirect_uris" if refused else "",
                actor="api",
            )


def test_configure_register_and_reissue(
    page: Page,
    site: str,
    rsa_private: Any,
    ec_private: Any,
    rsa_jwks: Any,
    ec_jwks: Any,
    settings: Any,
) -> None:
    # The key server is this live server on loopback: a tenant admin may point a JWKS URI at a
    # private address only in a lab (docs/admin.md; the refusal: test_admin_findings.py).
    settings.DCR_FETCH_ALLOW_PRIVATE_ADDRESSES = True
    started = time.monotonic()
    login(page, site)
    # A tenant admin sees her tenant's workspaces only.
    expect(page.locator("#workspace-list")).to_contain_text("default/staging")
    expect(page.locator("#content")).not_to_contain_text("acme/prod")
    shot(page, "admin-index")

    # Switch workspace: the switcher lists only what she may see.
    page.locator("#workspace-switcher summary").click()
    switcher = page.locator("#workspace-switcher ul")
    expect(switcher).to_contain_text("default/default")
    expect(switcher).not_to_contain_text("acme/prod")
    shot(page, "client-registration-workspaces", full_page=False)
    _seed_activity(Workspace.objects.get(tenant__slug="default", slug="default"))
    switcher.get_by_role("link", name="default/default").click()
    expect(page.locator("#current-workspace")).to_have_text("default/default")
    expect(page.locator("#overview-charts svg").first).to_be_visible()
    shot(page, "workspace-overview")

    # The sidebar: OAuth > Authorization Server > Client Registration.
    page.locator("#workspace-sections").get_by_role("link", name="Client Registration").click()
    default_pk = Workspace.objects.get(tenant__slug="default", slug="default").pk
    expect(page).to_have_url(
        f"{site}/admin/registration/dcrsettings/client-registration/{default_pk}/"
    )
    expect(page.locator("#tab-dcr")).to_have_attribute("aria-current", "page")
    assert "registration_endpoint" not in discovery(site)

    # DCR tab: enable, each protection with a real key set; the signed request from a URI first.
    page.check("#id_enabled")
    page.check("#id_protect_by_access_token")
    page.check("#id_software_statement")
    page.fill("#id_software_statement_jwks", json.dumps(rsa_jwks, indent=2))
    page.check("#id_signed_request")
    page.check("input[name=signed_request_source][value=uri]")
    page.fill("#id_signed_request_jwks_uri", f"{site}/default/default/.well-known/jwks.json")
    page.fill("#id_policy", json.dumps({"client_name": {"max_length": 64}}))
    page.click("input[name=_save]")
    expect(page.locator("ul.messagelist")).to_contain_text(
        "You've successfully enabled DCR in your workspace."
    )
    expect(page.locator("#software_statement-keys")).to_contain_text("statement-rsa-1")
    assert "registration_endpoint" in discovery(site)

    page.click("#fetch-signed_request-button")
    expect(page.locator("#signed_request-fetch-result")).to_contain_text("Fetched 1 key")

    # A bad policy is shown inline and nothing changes.
    page.fill("#id_policy", json.dumps({"no_such_rule": 1}))
    page.click("input[name=_save]")
    expect(page.locator(".field-policy .errorlist")).to_contain_text("no_such_rule")
    shot(page, "client-registration-error")

    page.goto(page.url)  # back to the saved values
    page.check("input[name=signed_request_source][value=jwks]")
    page.fill("#id_signed_request_jwks", json.dumps(ec_jwks))
    page.click("input[name=_save]")
    expect(page.locator("#signed_request-keys")).to_contain_text("request-ec-1")
    shot(page, "client-registration-dcr")
    page.set_viewport_size(PHONE)
    shot(page, "client-registration-phone")
    page.set_viewport_size(LAPTOP)

    # Registrar clients: the secret is shown once.
    page.click("#tab-registrar")
    shot(page, "client-registration-registrar")
    page.fill("#id_name", "Directory registrar")
    page.click("input[value='Create registrar client']")
    secret = page.locator("#registrar-secret-value").inner_text()
    client_id = page.locator("#registrar-secret code").first.inner_text()

    # Register over REST with all three protections.
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    status, token = http(
        "POST",
        f"{site}/default/default/oauth2/token",
        body=urllib.parse.urlencode(
            {"grant_type": "client_credentials", "scope": "dcr_register"}
        ).encode(),
        headers={
            "Authorization": f"Basic {basic}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert status == 200, token
    now = int(time.time())
    statement = jwt.encode(
        {
            "iss": "https://directory.example",
            "iat": now,
            "exp": now + 300,
            "client_name": "Browser DCR app",
        },
        rsa_private,
        algorithm="RS256",
        headers={"kid": "statement-rsa-1"},
    )
    claims = {
        "grant_types": ["client_credentials"],
        "software_statement": statement,
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
    }
    signed = jwt.encode(claims, ec_private, algorithm="ES256", headers={"kid": "request-ec-1"})
    status, registered = http(
        "POST",
        discovery(site)["registration_endpoint"],
        body=signed.encode(),
        headers={
            "Content-Type": "application/jwt",
            "Authorization": f"Bearer {token['access_token']}",
        },
    )
    assert status == 201, registered
    assert registered["client_name"] == "Browser DCR app"

    # Applications (the sidebar of the workspace): the client carries the DCR label.
    page.locator("#workspace-sections").get_by_role("link", name="Applications").click()
    row = page.locator("#result_list tr", has_text="Browser DCR app")
    expect(row.locator(".dcr-badge")).to_have_text("DCR")
    shot(page, "applications")
    row.get_by_role("link", name="Browser DCR app").click()
    expect(page.locator(".dcr-json-view")).to_contain_text("Browser DCR app")
    expect(page.locator(".field-client_id")).to_contain_text(registered["client_id"])
    shot(page, "application-detail")

    # Reissue asks first; the new token is shown once, the old one is refused over REST.
    page.click("#reissue-token")
    expect(page.locator("#confirm-form")).to_be_visible()
    shot(page, "application-reissue-confirm")
    page.click("#confirm-action")
    new_token = page.locator("#reissued-token-value").inner_text()
    manage = registered["registration_client_uri"]
    old_status, _ = http(
        "GET",
        manage,
        headers={"Authorization": f"Bearer {registered['registration_access_token']}"},
    )
    assert old_status == 401
    new_status, _ = http("GET", manage, headers={"Authorization": f"Bearer {new_token}"})
    assert new_status == 200

    # Test policy and recent events (the sidebar lists the tabs under Client Registration).
    page.locator("#workspace-sections").get_by_role("link", name="Test policy").click()
    # The workspace requires a software statement: the dry run verifies it, then the policy.
    long_name = jwt.encode(
        {"iss": "https://directory.example", "iat": now, "exp": now + 300, "client_name": "x" * 80},
        rsa_private,
        algorithm="RS256",
        headers={"kid": "statement-rsa-1"},
    )
    metadata = {"grant_types": ["client_credentials"], "software_statement": long_name}
    page.fill("#id_metadata", json.dumps(metadata, indent=2))
    page.click("input[value=Test]")
    expect(page.locator("#dry-run-result")).to_contain_text("client_name")
    shot(page, "client-registration-test-policy")
    page.click("#tab-events")
    expect(page.locator("#recent-events")).to_contain_text("reissue")
    shot(page, "client-registration-events")
    assert time.monotonic() - started < 60
