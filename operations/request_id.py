"""The id of the request being served: taken from ``X-Request-ID`` when sane, else made here.

It travels in a context variable (one per thread under gunicorn's threaded worker), so every log
line of the request (:class:`operations.logs.RequestIdFilter`) and its audit event carry it
without passing it through every function.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar, Token

HEADER = "X-Request-ID"
META_KEY = "HTTP_X_REQUEST_ID"

# A sane incoming id: 1 to 128 characters of letters, digits, '.', '_' and '-' (a UUID, a hex
# trace id, an nginx $request_id, an Envoy or Heroku id all fit). Anything else (spaces, quotes,
# control characters, header-splitting attempts, overlong values) is replaced, never echoed.
SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

_current: ContextVar[str | None] = ContextVar("request_id", default=None)


def new_request_id() -> str:
    """A fresh id: a random (version 4) UUID, 122 bits from the operating system's CSPRNG."""
    return str(uuid.uuid4())


def accept_or_new(incoming: str | None) -> str:
    """The incoming id when it is a sane token, else a new one."""
    if incoming and SANE_ID.fullmatch(incoming):
        return incoming
    return new_request_id()


def current_request_id() -> str | None:
    """The id of the request this code runs for; None outside a request (CLI, start-up)."""
    return _current.get()


def bind(request_id: str | None) -> Token[str | None]:
    return _current.set(request_id)


def unbind(token: Token[str | None]) -> None:
    _current.reset(token)
