"""Login throttling on both sign-in forms (django-axes): per user name and address, 429 page,
the right password refused until the cool-off ends, a success resets the count."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from http import HTTPStatus
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client as HttpClient

from tests.websec.conftest import PASSWORD, PROJECT, csp_directives

LOGIN_FORMS = ["/admin/login/", "/accounts/login/"]
LIMIT = settings.AXES_FAILURE_LIMIT


def client_from(address: str) -> HttpClient:
    return HttpClient(REMOTE_ADDR=address)


def sign_in(http: HttpClient, url: str, username: str, password: str, **extra: Any) -> Any:
    return http.post(url, {"username": username, "password": password}, **extra)


def signed_in(http: HttpClient) -> bool:
    return SESSION_KEY in http.session


@pytest.fixture
def users(staff_user: Any, end_user: Any) -> dict[str, Any]:
    """root (staff, for /admin/login/) and alice (an end user); both sign in at /accounts/."""
    return {"/admin/login/": staff_user, "/accounts/login/": end_user}


@pytest.mark.parametrize("url", LOGIN_FORMS)
def test_ten_wrong_passwords_then_the_right_one_is_refused(url: str, users: dict[str, Any]) -> None:
    username = users[url].username
    http = client_from("203.0.113.7")
    statuses = [sign_in(http, url, username, f"wrong-{i}").status_code for i in range(10)]
    # Wrong passwords re-show the form until the limit; from then on the lockout page.
    assert statuses[: LIMIT - 1] == [HTTPStatus.OK] * (LIMIT - 1)
    assert statuses[LIMIT - 1 :] == [HTTPStatus.TOO_MANY_REQUESTS] * (11 - LIMIT)

    response = sign_in(http, url, username, PASSWORD)
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert not signed_in(http)


@pytest.mark.parametrize("url", LOGIN_FORMS)
def test_the_lockout_page_is_a_product_page_with_retry_after_rfc6585_4(
    url: str, users: dict[str, Any]
) -> None:
    http = client_from("203.0.113.7")
    for i in range(LIMIT):
        response = sign_in(http, url, users[url].username, f"wrong-{i}")
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "<h1>Too many sign-in attempts</h1>" in html
    assert "DCR Server" in html and "/static/registration/enduser/enduser.css" in html
    assert "Try again in 15 minutes." in html
    assert f'href="{url}"' in html
    # RFC 9110 §10.2.3: when to come back, in seconds.
    assert response["Retry-After"] == str(settings.AXES_COOLOFF_TIME.seconds)
    assert response["Cache-Control"] == "no-store"
    assert csp_directives(response["Content-Security-Policy"])["default-src"] == ["'self'"]


@pytest.mark.parametrize("url", LOGIN_FORMS)
def test_a_success_before_the_limit_resets_the_count(url: str, users: dict[str, Any]) -> None:
    username = users[url].username
    http = client_from("203.0.113.7")
    for i in range(LIMIT - 1):
        assert sign_in(http, url, username, f"wrong-{i}").status_code == HTTPStatus.OK
    assert sign_in(http, url, username, PASSWORD).status_code == HTTPStatus.FOUND
    assert signed_in(http)
    assert not AccessAttempt.objects.exists()

    again = client_from("203.0.113.7")
    for i in range(LIMIT - 1):
        assert sign_in(again, url, username, f"wrong-{i}").status_code == HTTPStatus.OK
    assert sign_in(again, url, username, PASSWORD).status_code == HTTPStatus.FOUND


def test_the_lockout_ends_after_the_cool_off(end_user: Any) -> None:
    url = "/accounts/login/"
    http = client_from("203.0.113.7")
    for i in range(LIMIT):
        sign_in(http, url, "alice", f"wrong-{i}")
    assert sign_in(http, url, "alice", PASSWORD).status_code == HTTPStatus.TOO_MANY_REQUESTS
    # The cool-off passes (the attempt is moved back instead of the test waiting 15 minutes).
    past = settings.AXES_COOLOFF_TIME + datetime.timedelta(seconds=1)
    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=attempt.attempt_time - past)
    assert sign_in(http, url, "alice", PASSWORD).status_code == HTTPStatus.FOUND
    assert signed_in(http)


def test_the_lockout_is_per_user_name_and_address(staff_user: Any, end_user: Any) -> None:
    """Users behind one NAT address keep signing in while one of them is locked out, and the
    locked user still signs in from another address (nobody can lock them out remotely)."""
    url = "/accounts/login/"
    nat = client_from("198.51.100.10")
    for i in range(LIMIT):
        sign_in(nat, url, "alice", f"wrong-{i}")
    assert sign_in(nat, url, "alice", PASSWORD).status_code == HTTPStatus.TOO_MANY_REQUESTS

    colleague = client_from("198.51.100.10")
    assert sign_in(colleague, url, "root", PASSWORD).status_code == HTTPStatus.FOUND
    elsewhere = client_from("192.0.2.44")
    assert sign_in(elsewhere, url, "alice", PASSWORD).status_code == HTTPStatus.FOUND


def test_a_forged_forwarded_for_header_does_not_reset_the_count(end_user: Any) -> None:
    """Without trusted proxies (DCR_TRUSTED_PROXY_COUNT=0) X-Forwarded-For is the client's own
    text: varying it must not give a fresh count."""
    url = "/accounts/login/"
    http = client_from("203.0.113.7")
    for i in range(LIMIT):
        sign_in(http, url, "alice", f"wrong-{i}", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}")
    response = sign_in(http, url, "alice", PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_unknown_user_names_are_throttled_alike(db: None) -> None:
    """An account that does not exist locks like one that does (no user enumeration)."""
    http = client_from("203.0.113.7")
    statuses = [sign_in(http, "/accounts/login/", "nobody", "x").status_code for _ in range(LIMIT)]
    assert statuses[-1] == HTTPStatus.TOO_MANY_REQUESTS


def test_failed_attempts_store_no_password(end_user: Any) -> None:
    sign_in(client_from("203.0.113.7"), "/accounts/login/", "alice", "hunter2-secret")
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address, attempt.failures_since_start) == (
        "alice",
        "203.0.113.7",
        1,
    )
    assert "hunter2-secret" not in attempt.post_data


@pytest.mark.parametrize(
    "env", [{"DCR_LOGIN_FAILURE_LIMIT": "0"}, {"DCR_LOGIN_COOLOFF_MINUTES": "0"}]
)
def test_a_throttle_that_would_not_throttle_refuses_to_start(env: dict[str, str]) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DCR_"))}
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=PROJECT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "dcr_server.settings_test", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "DCR_LOGIN_FAILURE_LIMIT and DCR_LOGIN_COOLOFF_MINUTES must be >= 1" in done.stderr
