"""The login throttle holds across app servers: two gunicorn processes share the database, and
wrong passwords split between them add up to one lockout."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

import requests
from django.conf import settings

from tests.websec.conftest import PASSWORD, StartServer

LIMIT = settings.AXES_FAILURE_LIMIT
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def sign_in(port: int, path: str, username: str, password: str) -> requests.Response:
    """One browser-like sign-in through the form: GET (CSRF cookie and token), then POST."""
    with requests.Session() as browser:
        url = f"http://127.0.0.1:{port}{path}"
        form = browser.get(url, timeout=30)
        assert form.status_code == HTTPStatus.OK, form.text[:200]
        match = TOKEN.search(form.text)
        assert match is not None
        return browser.post(
            url,
            data={
                "csrfmiddlewaretoken": match.group(1),
                "username": username,
                "password": password,
            },
            headers={"Referer": url},
            allow_redirects=False,
            timeout=30,
        )


def test_failures_split_across_two_app_servers_add_up(
    app_servers: StartServer, end_user: Any, staff_user: Any
) -> None:
    first, second = app_servers(), app_servers()
    assert first.port != second.port
    ports = [first.port, second.port]
    # Alternate servers: neither alone sees the limit, together they do.
    statuses = [
        sign_in(ports[i % 2], "/accounts/login/", "alice", f"wrong-{i}").status_code
        for i in range(LIMIT)
    ]
    assert statuses == [HTTPStatus.OK] * (LIMIT - 1) + [HTTPStatus.TOO_MANY_REQUESTS]
    # The right password is refused on both servers, and on the admin's form too.
    for port in ports:
        response = sign_in(port, "/accounts/login/", "alice", PASSWORD)
        assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
        assert "Too many sign-in attempts" in response.text
        assert "sessionid" not in response.cookies
    assert sign_in(first.port, "/admin/login/", "alice", PASSWORD).status_code == (
        HTTPStatus.TOO_MANY_REQUESTS
    )
    # Meanwhile another user signs in from the same address, on either server.
    for port in ports:
        assert sign_in(port, "/accounts/login/", "root", PASSWORD).status_code == HTTPStatus.FOUND


def test_a_success_on_one_server_resets_the_count_on_the_other(
    app_servers: StartServer, end_user: Any
) -> None:
    first, second = app_servers(), app_servers()
    for i in range(LIMIT - 1):
        assert sign_in(first.port, "/accounts/login/", "alice", f"w{i}").status_code == 200
    signed_in = sign_in(second.port, "/accounts/login/", "alice", PASSWORD)
    assert signed_in.status_code == HTTPStatus.FOUND
    for i in range(LIMIT - 1):
        assert sign_in(first.port, "/accounts/login/", "alice", f"v{i}").status_code == 200
