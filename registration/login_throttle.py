"""Login throttling for both sign-in forms (``/admin/login/``, ``/accounts/login/``): the hooks
django-axes calls (settings ``AXES_*``; docs/admin-security.md).

Failures are counted per user name *and* source address together (``AXES_LOCKOUT_PARAMETERS``):
a tenant's users behind one NAT address do not lock each other out, and nobody can lock a user
out from elsewhere by guessing at their name; one address guessing at one account is stopped.
The counts live in the database (axes' ``AccessAttempt``), so every app server sees the same.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from registration.client_ip import client_ip

LOCKED_OUT_TEMPLATE = "enduser/locked_out.html"


def source_ip(request: HttpRequest) -> str:
    """The address failures are counted against: the one the audit trail records (proxy-aware
    under ``DCR_TRUSTED_PROXY_COUNT``; a forged ``X-Forwarded-For`` is ignored otherwise)."""
    return client_ip(request)


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """RFC 6585 §4: 429 Too Many Requests, a product page saying when to try again, and
    RFC 9110 §10.2.3 ``Retry-After`` (seconds until the cool-off ends)."""
    from axes.helpers import get_cool_off, get_failure_limit  # axes reads settings on import

    cool_off: timedelta | None = get_cool_off(request)
    minutes = math.ceil(cool_off.total_seconds() / 60) if cool_off else None
    response = render(
        request,
        LOCKED_OUT_TEMPLATE,
        {
            "failure_limit": get_failure_limit(request, credentials),
            "cooloff_minutes": minutes,
            "login_url": request.path,
        },
        status=429,
    )
    if cool_off:
        response["Retry-After"] = str(math.ceil(cool_off.total_seconds()))
    response["Cache-Control"] = "no-store"
    return response
