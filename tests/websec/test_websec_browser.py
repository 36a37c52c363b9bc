"""In Debian's chromium, against gunicorn: Swagger UI renders and no page breaks its own CSP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, expect

from tests.websec.conftest import StartServer

pytestmark = pytest.mark.browser

# The browser records every violation in the page (an init script runs outside the page's CSP).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


class Watched:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.console: list[str] = []
        self.external: list[str] = []
        page.on("console", lambda msg: self.console.append(msg.text))

    def violations(self) -> list[str]:
        recorded: list[str] = self.page.evaluate("window.__cspViolations")
        refused = [text for text in self.console if "Content Security Policy" in text]
        return recorded + refused


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    result = Watched(page)

    def _route(route: Any) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1:", "data:")):
            route.continue_()
        else:  # nothing may leave for another origin
            result.external.append(url)
            route.abort()

    page.route("**/*", _route)
    yield result
    context.close()


def test_api_docs_renders_swagger_ui_without_csp_violations(
    app_servers: StartServer, watched: Watched, tmp_path: Path
) -> None:
    server = app_servers()
    page = watched.page
    page.goto(f"http://127.0.0.1:{server.port}/api/docs/")
    # Swagger UI replaced the server-rendered summary and drew the operations from /api/schema/.
    expect(page.locator(".swagger-ui .info .title")).to_be_visible()
    expect(page.locator(".opblock").first).to_be_visible()
    assert page.locator("#fallback").count() == 0
    page.screenshot(path=str(tmp_path / "api-docs.png"))
    assert watched.violations() == []
    assert watched.external == []


def test_admin_login_page_loads_without_csp_violations(
    app_servers: StartServer, watched: Watched
) -> None:
    server = app_servers()
    page = watched.page
    page.goto(f"http://127.0.0.1:{server.port}/admin/login/")
    expect(page.locator("#login-form")).to_be_visible()
    # The admin's stylesheet applied (served by WhiteNoise under gunicorn): the header is styled.
    header_bg = page.locator("#header").evaluate("e => getComputedStyle(e).backgroundColor")
    assert header_bg not in ("rgba(0, 0, 0, 0)", "transparent")
    assert watched.violations() == []
    assert watched.external == []


def test_end_user_sign_in_and_lockout_pages_are_styled_without_csp_violations(
    app_servers: StartServer, watched: Watched, end_user: Any, tmp_path: Path
) -> None:
    server = app_servers()
    page = watched.page
    page.goto(f"http://127.0.0.1:{server.port}/accounts/login/")
    expect(page.locator(".eu-brand")).to_have_text("DCR Server")
    button = page.locator("form button[type=submit]")
    expect(button).to_be_visible()
    # The product stylesheet applied: a filled, full-width button.
    assert button.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(31, 95, 191)"
    page.screenshot(path=str(tmp_path / "sign-in.png"))
    page.fill("#id_username", "alice")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    expect(page.locator(".eu-error")).to_be_visible()
    page.screenshot(path=str(tmp_path / "sign-in-error.png"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        page.fill("#id_password", "wrong")
        page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Too many sign-in attempts")
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(tmp_path / "locked-out-phone.png"))
    assert watched.violations() == []
    assert watched.external == []
