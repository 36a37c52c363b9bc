"""A database outage raised inside a middleware, not the view, is the same 503 JSON error
(issue 14, finding 10; RFC 6749 §4.1.2.1 ``temporarily_unavailable``)."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import pytest
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.test import Client as HttpClient

from tenants.models import Workspace

DISCOVERY = "/default/default/.well-known/openid-configuration"
FAILING = "tests.security.test_security_middleware_outage.FailingMiddleware"


ERRORS: dict[str, type[Exception]] = {
    "OperationalError": OperationalError,
    "InterfaceError": InterfaceError,
    "RuntimeError": RuntimeError,
}


class FailingMiddleware:
    """Raises the error its request's ``X-Fail-With`` names before the view runs, as a
    middleware reading the database (sessions, a request log) would during an outage. (Django
    imports this module under another name than pytest does: no class state is shared.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raise ERRORS[request.headers["X-Fail-With"]]("could not connect to server")


@pytest.fixture
def failing_middleware(settings: Any) -> Callable[[type[Exception]], HttpClient]:
    def install(error: type[Exception]) -> HttpClient:
        middleware = list(settings.MIDDLEWARE)
        # Inside the session middleware: no resilience middleware around it sees the exception.
        middleware.insert(
            middleware.index("dcr_server.browser_only.SessionMiddleware") + 1, FAILING
        )
        settings.MIDDLEWARE = middleware
        return HttpClient(raise_request_exception=False, HTTP_X_FAIL_WITH=error.__name__)

    return install


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_database_error_inside_a_middleware_is_503_json_rfc6749_4_1_2_1(
    workspace: Workspace, failing_middleware: Any, error: type[Exception]
) -> None:
    api = failing_middleware(error)

    response = api.get(DISCOVERY)

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE, response.content
    assert response["Content-Type"] == "application/json"
    assert int(response["Retry-After"]) > 0
    assert response.json()["error"] == "temporarily_unavailable"


def test_other_errors_inside_a_middleware_stay_a_json_500(
    workspace: Workspace, failing_middleware: Any
) -> None:
    api = failing_middleware(RuntimeError)

    response = api.get(DISCOVERY)

    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert response.json()["error"] == "server_error"


def test_admin_pages_keep_the_html_error_page(
    workspace: Workspace, failing_middleware: Any
) -> None:
    api = failing_middleware(OperationalError)

    response = api.get("/admin/")

    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert response["Content-Type"].startswith("text/html")
