"""Content-Security-Policy on every HTML page; /api/docs/ loads nothing from another origin."""

from __future__ import annotations

from html.parser import HTMLParser
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from tenants.models import Workspace
from tests.helpers import sign_in, ws_url
from tests.oauth.conftest import REDIRECT_URI, pkce_pair
from tests.websec.conftest import csp_directives

REQUIRED = {
    "default-src": ["'self'"],
    "object-src": ["'none'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
}


def assert_strict_csp(response: Any) -> dict[str, list[str]]:
    assert "Content-Security-Policy" in response, response["Content-Type"]
    directives = csp_directives(response["Content-Security-Policy"])
    for name, sources in REQUIRED.items():
        assert directives.get(name) == sources, (name, directives)
    for name in ("script-src", "style-src"):
        sources = directives[name]
        assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources
        assert all(s == "'self'" or s.startswith("'nonce-") for s in sources), sources
    return directives


def test_admin_login_page_sends_a_strict_csp(api: HttpClient, db: None) -> None:
    response = api.get("/admin/login/")
    assert response.status_code == HTTPStatus.OK
    assert_strict_csp(response)


def test_end_user_login_page_sends_a_strict_csp(api: HttpClient, db: None) -> None:
    response = api.get("/accounts/login/")
    assert response.status_code == HTTPStatus.OK
    assert_strict_csp(response)


def test_api_docs_page_sends_a_strict_csp(api: HttpClient) -> None:
    response = api.get("/api/docs/")
    assert response.status_code == HTTPStatus.OK
    assert_strict_csp(response)


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:index",
        "admin:registration_client_changelist",
        "admin:registration_auditevent_changelist",
        "admin:auth_user_changelist",
        "admin:password_change",
    ],
)
def test_admin_pages_send_a_strict_csp(
    api: HttpClient, staff_user: Any, workspace: Workspace, url_name: str
) -> None:
    api.force_login(staff_user)
    response = api.get(reverse(url_name))
    assert response.status_code == HTTPStatus.OK
    assert_strict_csp(response)


def test_the_client_registration_page_styles_come_from_a_static_file(
    api: HttpClient, staff_user: Any, workspace: Workspace
) -> None:
    # The console keeps no inline style at all (registration/static/console/console.css), so
    # the strict policy holds without a nonce (django-csp adds one only when a template asks).
    api.force_login(staff_user)
    response = api.get(reverse("admin:registration_client_registration", args=[workspace.pk]))
    assert response.status_code == HTTPStatus.OK
    assert_strict_csp(response)
    html = response.content.decode()
    assert "console/console.css" in html
    assert "<style>" not in html and " style=" not in html


def test_every_response_has_its_own_nonce(
    api: HttpClient, staff_user: Any, workspace: Workspace
) -> None:
    # No console page needs a nonce any more (no inline style or script); a page that asks for
    # one (request.csp_nonce) gets a fresh one per response, in its header.
    from django.http import HttpResponse
    from django.test import RequestFactory

    from dcr_server.csp import CSPMiddleware

    def asks_for_a_nonce(request: Any) -> HttpResponse:
        return HttpResponse(f"<style nonce='{request.csp_nonce}'></style>")

    middleware = CSPMiddleware(asks_for_a_nonce)
    first, second = (
        csp_directives(middleware(RequestFactory().get("/"))["Content-Security-Policy"])
        for _ in range(2)
    )
    assert first["style-src"] != second["style-src"]
    assert any(s.startswith("'nonce-") for s in first["style-src"])


def test_admin_not_found_and_forbidden_pages_send_a_csp(api: HttpClient, db: None) -> None:
    assert_strict_csp(api.get("/admin/no-such-page/"))
    assert_strict_csp(api.get("/admin/logout/"))  # 405: GET is not allowed


def test_the_consent_page_sends_a_strict_csp(
    api: HttpClient, workspace: Workspace, end_user: Any, registered: dict[str, Any]
) -> None:
    sign_in(api, end_user, workspace)
    _, challenge = pkce_pair()
    response = api.get(
        ws_url(workspace, "/oauth2/authorize"),
        {
            "response_type": "code",
            "client_id": registered["client_id"],
            "redirect_uri": REDIRECT_URI,
            "scope": "openid",
            "state": "s",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    assert response.status_code == HTTPStatus.OK
    assert b'name="allow"' in response.content
    assert_strict_csp(response)


def test_json_api_responses_still_answer_json(api: HttpClient, workspace: Workspace) -> None:
    response = api.get(ws_url(workspace, "/.well-known/oauth-authorization-server"))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/json"
    assert response.json()["issuer"] == "http://testserver/default/default"


class _Resources(HTMLParser):
    """Every URL a page makes the browser load, and every inline script or style element."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("src", "href", "srcset", "action", "data", "poster"):
            if found.get(name):
                self.urls.append(str(found[name]))
        if tag == "script" and not found.get("src"):
            self.inline.append("script")
        if tag == "style" and not found.get("nonce"):
            self.inline.append("style")
        if "style" in found or any(name.startswith("on") for name in found):
            self.inline.append(f"{tag} attribute")


def test_api_docs_loads_nothing_from_another_origin(api: HttpClient) -> None:
    html = api.get("/api/docs/").content.decode()
    resources = _Resources()
    resources.feed(html)
    assert resources.urls, "the page loads Swagger UI's files"
    for url in resources.urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, url  # relative: this origin
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in resources.urls
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css" in resources.urls
    assert resources.inline == []  # no inline script, style element or style/on* attribute


def _library_header(request: Any) -> dict[str, str]:
    from csp.middleware import CSPMiddleware as LibraryCSPMiddleware
    from django.http import JsonResponse

    response = LibraryCSPMiddleware(lambda _request: JsonResponse({}))(request)
    return {k: v for k, v in response.items() if k.startswith("Content-Security-Policy")}


def test_the_once_built_header_is_django_csps_own(settings: Any) -> None:
    """dcr_server/csp.py builds the header of a plain response once: it must be exactly the
    header django-csp builds, for the policy and for a report-only policy, and follow the
    settings when they change."""
    from django.http import JsonResponse
    from django.test import RequestFactory

    from dcr_server.csp import CSPMiddleware

    request = RequestFactory().get("/default/default/oauth2/register")
    middleware = CSPMiddleware(lambda _request: JsonResponse({}))
    ours = middleware(request)
    assert ours["Content-Security-Policy"]
    assert {k: v for k, v in ours.items() if k.startswith("Content-Security")} == (
        _library_header(RequestFactory().get("/x"))
    )

    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    changed = middleware(RequestFactory().get("/default/default/oauth2/register"))
    assert changed["Content-Security-Policy-Report-Only"] == "default-src 'none'"
    assert changed["Content-Security-Policy"] == ours["Content-Security-Policy"]


def test_a_decorated_view_still_gets_its_own_policy() -> None:
    from csp.decorators import csp_update
    from django.http import HttpResponse
    from django.test import RequestFactory

    from dcr_server.csp import CSPMiddleware

    @csp_update({"img-src": ["https://images.example"]})
    def view(request: Any) -> HttpResponse:
        return HttpResponse("ok")

    response = CSPMiddleware(view)(RequestFactory().get("/"))
    assert (
        "https://images.example" in csp_directives(response["Content-Security-Policy"])["img-src"]
    )
    plain = CSPMiddleware(lambda _r: HttpResponse("ok"))(RequestFactory().get("/"))
    assert "https://images.example" not in plain["Content-Security-Policy"]
