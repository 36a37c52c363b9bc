"""Proxy trust by network (issue 14, finding 4; CONTRACT.md "Abuse defaults"): X-Forwarded-For
counts only when the connecting peer is inside DCR_TRUSTED_PROXY_NETWORKS, which is required
when DCR_TRUSTED_PROXY_COUNT is above 0."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.test import RequestFactory

from registration.client_ip import client_ip
from registration.models import AuditEvent, Client, DCRSettings
from tenants.models import Workspace
from tests.helpers import SERVICE_CLIENT, post_json

PROJECT = Path(__file__).resolve().parents[2]
REGISTER = "/default/default/oauth2/register"


@pytest.fixture
def behind_one_proxy(settings: Any) -> None:
    settings.DCR_TRUSTED_PROXY_COUNT = 1
    settings.DCR_TRUSTED_PROXY_NETWORKS = (
        ipaddress.ip_network("10.1.0.0/16"),
        ipaddress.ip_network("fd00::/8"),
    )


def _ip(remote: str, forwarded: str) -> str:
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded)
    request.META["REMOTE_ADDR"] = remote
    return client_ip(request)


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        pytest.param("10.1.2.3", "198.51.100.7", "198.51.100.7", id="from-the-proxy"),
        pytest.param("fd00::5", "198.51.100.7", "198.51.100.7", id="from-an-ipv6-proxy"),
        pytest.param("203.0.113.50", "198.51.100.7", "203.0.113.50", id="direct-client-forging"),
        pytest.param("10.2.0.1", "198.51.100.7", "10.2.0.1", id="peer-outside-the-networks"),
    ],
)
def test_forwarded_for_counts_only_from_a_trusted_peer(
    behind_one_proxy: None, remote: str, forwarded: str, expected: str
) -> None:
    assert _ip(remote, forwarded) == expected


def test_with_two_proxies_an_untrusted_hop_is_the_client(settings: Any) -> None:
    settings.DCR_TRUSTED_PROXY_COUNT = 2
    settings.DCR_TRUSTED_PROXY_NETWORKS = (ipaddress.ip_network("10.0.0.0/8"),)

    assert _ip("10.0.0.1", "6.6.6.6, 198.51.100.7, 10.0.0.2") == "198.51.100.7"
    # The hop next to the peer is not a proxy of ours: it is the client, whatever it claims.
    assert _ip("10.0.0.1", "6.6.6.6, 203.0.113.9") == "203.0.113.9"


def test_a_direct_client_cannot_pass_source_ip_ranges_or_forge_the_audit_trail(
    workspace: Workspace, behind_one_proxy: None
) -> None:
    DCRSettings.objects.filter(workspace=workspace).update(
        policy={"source_ip_ranges": ["198.51.100.0/24"]}
    )
    direct = HttpClient(REMOTE_ADDR="203.0.113.50", HTTP_X_FORWARDED_FOR="198.51.100.7")
    proxied = HttpClient(REMOTE_ADDR="10.1.0.9", HTTP_X_FORWARDED_FOR="198.51.100.7")

    refused = post_json(direct, REGISTER, SERVICE_CLIENT)
    accepted = post_json(proxied, REGISTER, SERVICE_CLIENT)

    assert refused.status_code == HTTPStatus.FORBIDDEN
    assert refused.json()["error"] == "access_denied"
    assert accepted.status_code == HTTPStatus.CREATED
    assert Client.objects.count() == 1
    sources = dict(AuditEvent.objects.values_list("event", "source_ip"))
    assert sources == {"refused": "203.0.113.50", "register": "198.51.100.7"}


def _settings_error(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DCR_", "DJANGO_"))}
    clean.update(DJANGO_SECRET_KEY="x", DJANGO_SETTINGS_MODULE="dcr_server.settings")
    clean["DCR_ENCRYPTION_KEYS"] = "k" * 43 + "="
    clean.update(env)
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=PROJECT,
        env=clean,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0, "the settings were accepted"
    return done.stderr.strip().splitlines()[-1]


def test_a_proxy_count_without_networks_stops_the_start() -> None:
    error = _settings_error(DCR_TRUSTED_PROXY_COUNT="1")

    assert "DCR_TRUSTED_PROXY_NETWORKS is required" in error


def test_a_bad_network_stops_the_start_naming_it() -> None:
    error = _settings_error(DCR_TRUSTED_PROXY_COUNT="1", DCR_TRUSTED_PROXY_NETWORKS="10.0.0.0/33")

    assert "DCR_TRUSTED_PROXY_NETWORKS" in error and "10.0.0.0/33" in error
