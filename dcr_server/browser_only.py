"""Middleware that only the browser pages need, skipped on the API paths.

Sessions, CSRF, authentication and messages serve the admin, ``/accounts/login/`` and the
authorization endpoint (a person's browser). The API endpoints (registration, token, revocation,
introspection, discovery, JWKS, health, metrics) authenticate each request themselves (registration
access tokens, client credentials, bearer tokens) and are CSRF-exempt, so for them these four cost
time and do nothing: Django's default stack made every API request load a session middleware,
attach a lazy user, check CSRF in ``process_view`` and flush a message store.

``browser_only(Middleware)`` returns a subclass that behaves exactly like ``Middleware`` on a
browser path and passes the request straight through on an API path (``is_api_path``, the same
test that decides which errors are rendered as JSON). A subclass, so that Django's system checks
that look for ``SessionMiddleware`` & co. (``admin.E408``-``E410``) still find them. To skip
another middleware on the API paths, add one line below and name it in ``MIDDLEWARE``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth.middleware import AuthenticationMiddleware as _Authentication
from django.contrib.messages.middleware import MessageMiddleware as _Messages
from django.contrib.sessions.middleware import SessionMiddleware as _Sessions
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware as _Csrf

from dcr_server.middleware import is_api_path

M = TypeVar("M", bound=type)

# The per-request hooks Django's handler collects from a middleware instance (besides __call__).
_HOOKS = ("process_view", "process_exception", "process_template_response")


def browser_only(middleware: M) -> M:
    """``middleware``, applied to browser paths only (see the module docstring)."""

    def __call__(self: Any, request: HttpRequest) -> HttpResponse:
        if is_api_path(request.path):
            response: HttpResponse = self.get_response(request)
            return response
        result: HttpResponse = middleware.__call__(self, request)
        return result

    namespace: dict[str, Any] = {
        "__call__": __call__,
        "__doc__": f"{middleware.__name__}, on browser paths only (dcr_server.browser_only).",
        "__module__": __name__,
        "__qualname__": middleware.__name__,
    }
    for hook in _HOOKS:
        if hasattr(middleware, hook):
            namespace[hook] = _skip_on_api(getattr(middleware, hook))
    wrapped: M = type(middleware.__name__, (middleware,), namespace)  # type: ignore[assignment]
    return wrapped


def _skip_on_api(hook: Callable[..., Any]) -> Callable[..., Any]:
    def run(self: Any, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if is_api_path(request.path):
            return None  # as if the middleware had no such hook
        return hook(self, request, *args, **kwargs)

    run.__name__ = hook.__name__
    return run


SessionMiddleware = browser_only(_Sessions)
CsrfViewMiddleware = browser_only(_Csrf)
AuthenticationMiddleware = browser_only(_Authentication)
MessageMiddleware = browser_only(_Messages)
