"""The database is down or too slow: API paths answer 503 ``temporarily_unavailable``, not 500.

RFC 6749 §4.1.2.1 names ``temporarily_unavailable`` for "a temporary overloading or maintenance
of the server"; RFC 9110 §15.6.4 lets a 503 carry ``Retry-After``. A client (or its library) can
retry a 503 safely, whereas a 500 reads as a bug. Nothing half-written survives: every service
writes inside ``transaction.atomic``, so the failed statement rolls its transaction back.

The middleware uses Django's ``process_exception`` hook, which sees the exception a view raised
(DRF re-raises what its own handler does not render). It answers only for API paths
(``dcr_server.middleware.is_api_path``): the admin and the login pages keep Django's own error
handling. An error raised inside another middleware (not the view) never reaches
``process_exception``: Django's handler turns it into a response at that middleware's layer by
calling ``handler500`` while the exception is being handled. ``server_error`` (the project's
``handler500``, ``dcr_server/urls.py``) looks at that exception, so a database outage inside any
middleware is the same 503 JSON error, whatever the MIDDLEWARE order.

Connectivity failures are ``OperationalError`` (connection refused or lost, server shutting down,
``statement_timeout``/``lock_timeout`` cancellations, SQLite "database is locked") and
``InterfaceError`` (a connection already closed). Other ``DatabaseError`` subclasses
(``IntegrityError``, ``ProgrammingError``, ``DataError``) are bugs or bad data: they stay 500s.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from http import HTTPStatus

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from dcr_server.crypto import DecryptionError
from dcr_server.headers import NO_STORE
from dcr_server.middleware import is_api_path

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
DESCRIPTION = "The service is temporarily unavailable; retry after a few seconds."
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    # A stored secret no key in DCR_ENCRYPTION_KEYS decrypts (a lost or retired key): the
    # operator must restore the key; the client can only retry later (issue 14, finding 7).
    DecryptionError,
)


def temporarily_unavailable() -> JsonResponse:
    """503 ``{"error": "temporarily_unavailable", "error_description": ...}`` with Retry-After."""
    return JsonResponse(
        {"error": "temporarily_unavailable", "error_description": DESCRIPTION},
        status=HTTPStatus.SERVICE_UNAVAILABLE,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS), **NO_STORE},
    )


def _log(request: HttpRequest, exception: Exception) -> None:
    if isinstance(exception, DecryptionError):
        logger.error(
            "A stored secret cannot be decrypted with DCR_ENCRYPTION_KEYS on %s %s",
            request.method,
            request.path,
        )
        return
    # The class name only: a driver's message may quote SQL and its parameters.
    logger.error(
        "Database unavailable on %s %s: %s", request.method, request.path, type(exception).__name__
    )


class DatabaseUnavailableMiddleware:
    """Turn a view's database connectivity failure into a 503 JSON error on API paths."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, UNAVAILABLE_ERRORS) or not is_api_path(request.path):
            return None
        _log(request, exception)
        return temporarily_unavailable()


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: a database outage anywhere (a middleware included) is 503 on API paths.

    Django calls it from inside its exception handling (``response_for_exception``), so
    ``sys.exc_info()`` holds the exception that escaped; any other error keeps Django's 500.
    """
    exception = sys.exc_info()[1]
    if isinstance(exception, UNAVAILABLE_ERRORS) and is_api_path(request.path):
        _log(request, exception)
        return temporarily_unavailable()
    return defaults.server_error(request)
