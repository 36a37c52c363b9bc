"""No DNS oracle through ``sector_identifier_uri`` (issue 14, finding 9): every unusable URI gets
one error text, and name resolution runs inside the fetch's one deadline."""

from __future__ import annotations

import socket
import threading
from http import HTTPStatus
from typing import Any

import pytest
from django.test import Client as HttpClient

from registration.fetch import FetchError, fetch_url
from registration.models import AuditEvent, Client
from registration.sector_identifier import UNUSABLE
from tenants.models import Workspace
from tests.helpers import post_json

REGISTER = "/default/default/oauth2/register"
REDIRECT = "https://app.example.com/cb"


def _metadata(host: str) -> dict[str, Any]:
    return {
        "redirect_uris": [REDIRECT],
        "sector_identifier_uri": f"https://{host}/redirects.json",
    }


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Names and what they resolve to: an address, an OSError (no such name), or an Event to
    wait on (a resolver that hangs)."""
    table: dict[str, Any] = {}

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        answer = table.get(host, OSError("Name or service not known"))
        if isinstance(answer, threading.Event):
            answer.wait(10)
            raise OSError("timed out in the resolver")
        if isinstance(answer, BaseException):
            raise answer
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (answer, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


def test_oidc_registration_s5_private_and_unresolvable_hosts_get_the_same_answer(
    workspace: Workspace, settings: Any, dns: dict[str, Any]
) -> None:
    settings.DCR_FETCH_ALLOW_PRIVATE_ADDRESSES = False
    dns["internal.example.com"] = "10.1.2.3"
    dns["loopback.example.com"] = "127.0.0.1"
    api = HttpClient()

    answers = [
        post_json(api, REGISTER, _metadata(host))
        for host in ("internal.example.com", "loopback.example.com", "nowhere.example.com")
    ]

    bodies = [answer.json() for answer in answers]
    assert {answer.status_code for answer in answers} == {HTTPStatus.BAD_REQUEST}
    assert bodies == [{"error": "invalid_client_metadata", "error_description": UNUSABLE}] * 3
    assert not Client.objects.exists()
    assert set(AuditEvent.objects.values_list("rule", flat=True)) == {"sector_identifier_uri"}


def test_name_resolution_runs_inside_the_fetch_deadline(dns: dict[str, Any]) -> None:
    hang = threading.Event()
    dns["slow-resolver.example.com"] = hang
    try:
        with pytest.raises(FetchError, match="timed out"):
            fetch_url("https://slow-resolver.example.com/x", allow_private=False, timeout=0.5)
    finally:
        hang.set()  # let the abandoned lookup finish
