"""One-time display: a secret made by a POST is shown by the GET it redirects to, once.

Kept in the server-side session (database sessions; never the message store, whose cookie
backend would carry it to the browser), and removed by the first page that reads it: a reload
shows nothing again, and the POST that made it is never repeated by a reload.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

PREFIX = "console_once:"


def stash(request: HttpRequest, key: str, value: Any) -> None:
    request.session[PREFIX + key] = value


def take(request: HttpRequest, key: str) -> Any:
    """The stashed value (None when there is none); it is gone afterwards."""
    return request.session.pop(PREFIX + key, None)
