"""Sessions, CSRF, authentication and messages run on browser paths only (dcr_server/browser_only)."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.test import Client as HttpClient
from django.test import RequestFactory

from dcr_server import browser_only
from tenants.models import Workspace
from tests.conftest import RegisterFn
from tests.helpers import WEB_CLIENT, post_json, ws_url

WRAPPED = [
    browser_only.SessionMiddleware,
    browser_only.CsrfViewMiddleware,
    browser_only.AuthenticationMiddleware,
    browser_only.MessageMiddleware,
]
API_PATHS = [
    "/default/default/oauth2/register",
    "/default/default/oauth2/register/abc",
    "/default/default/oauth2/token",
    "/default/default/oauth2/revoke",
    "/default/default/oauth2/introspect",
    "/default/default/.well-known/openid-configuration",
    "/default/default/.well-known/jwks.json",
]
BROWSER_PATHS = ["/admin/", "/accounts/login/", "/default/default/oauth2/authorize"]


def _seen(middleware: type, path: str) -> HttpRequest:
    """The request as the view behind ``middleware`` receives it."""
    seen: list[HttpRequest] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(request)
        return HttpResponse("ok")

    request = RequestFactory().get(path)
    # Each middleware relies on the ones before it (authentication needs the session).
    request.session = {}  # type: ignore[attr-defined]
    middleware(view)(request)
    return seen[0]


def test_the_wrapped_middleware_are_in_settings() -> None:
    for middleware in WRAPPED:
        assert f"dcr_server.browser_only.{middleware.__name__}" in settings.MIDDLEWARE


@pytest.mark.parametrize("path", API_PATHS)
def test_api_paths_get_no_session_user_or_messages(path: str) -> None:
    assert not hasattr(_seen(browser_only.AuthenticationMiddleware, path), "user")
    assert not hasattr(_seen(browser_only.MessageMiddleware, path), "_messages")
    request = RequestFactory().get(path)
    browser_only.SessionMiddleware(lambda r: HttpResponse())(request)
    assert not hasattr(request, "session")


@pytest.mark.parametrize("path", BROWSER_PATHS)
def test_browser_paths_keep_them(path: str) -> None:
    assert hasattr(_seen(browser_only.AuthenticationMiddleware, path), "user")
    assert hasattr(_seen(browser_only.MessageMiddleware, path), "_messages")
    request = RequestFactory().get(path)
    browser_only.SessionMiddleware(lambda r: HttpResponse())(request)
    assert hasattr(request, "session")


def test_the_wrappers_are_django_s_classes_for_the_system_checks() -> None:
    from django.contrib.sessions.middleware import SessionMiddleware

    assert issubclass(browser_only.SessionMiddleware, SessionMiddleware)


def test_login_form_still_requires_its_csrf_token(db: None) -> None:
    User.objects.create_user("alice", password="correct horse battery")
    browser = HttpClient(enforce_csrf_checks=True)

    refused = browser.post(
        "/accounts/login/", {"username": "alice", "password": "correct horse battery"}
    )

    assert refused.status_code == HTTPStatus.FORBIDDEN
    page = browser.get("/accounts/login/")
    token = page.cookies["csrftoken"].value
    accepted = browser.post(
        "/accounts/login/",
        {"username": "alice", "password": "correct horse battery", "csrfmiddlewaretoken": token},
    )
    assert accepted.status_code == HTTPStatus.FOUND
    assert "sessionid" in accepted.cookies


def test_admin_still_needs_a_login(db: None) -> None:
    response = HttpClient().get("/admin/")

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/admin/login/")


def test_registration_sets_no_cookie_and_needs_no_csrf_token(
    workspace: Workspace, register: RegisterFn
) -> None:
    strict = HttpClient(enforce_csrf_checks=True, HTTP_HOST="testserver")
    strict.cookies["sessionid"] = "anything"  # a browser's session cookie changes nothing

    response = post_json(strict, ws_url(workspace, "/oauth2/register"), WEB_CLIENT)

    assert response.status_code == HTTPStatus.CREATED, response.content
    assert "Set-Cookie" not in response
    assert "Vary" not in response or "Cookie" not in response["Vary"]
