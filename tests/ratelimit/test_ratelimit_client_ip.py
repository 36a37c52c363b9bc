"""client_ip: REMOTE_ADDR unless trusted proxies are configured, then X-Forwarded-For by hops."""

from __future__ import annotations

import ipaddress

import pytest
from django.test import RequestFactory

from registration.client_ip import client_ip, normalize_ip

PROXIES = (ipaddress.ip_network("10.0.0.0/8"),)


@pytest.fixture(autouse=True)
def _proxies_in_10_8(settings) -> None:
    """The proxies of these cases live in 10.0.0.0/8 (DCR_TRUSTED_PROXY_NETWORKS)."""
    settings.DCR_TRUSTED_PROXY_NETWORKS = PROXIES


CASES = [
    # (trusted hops, X-Forwarded-For or None, REMOTE_ADDR, expected)
    pytest.param(0, None, "192.0.2.10", "192.0.2.10", id="no-proxy"),
    pytest.param(0, "198.51.100.7", "192.0.2.10", "192.0.2.10", id="no-proxy-header-ignored"),
    pytest.param(1, "198.51.100.7", "10.0.0.1", "198.51.100.7", id="one-hop"),
    pytest.param(
        1, "203.0.113.9, 198.51.100.7", "10.0.0.1", "198.51.100.7", id="one-hop-spoofed-left"
    ),
    pytest.param(2, "198.51.100.7, 10.0.0.2", "10.0.0.1", "198.51.100.7", id="two-hops"),
    pytest.param(
        2,
        "1.1.1.1, 8.8.8.8, 198.51.100.7, 10.0.0.2",
        "10.0.0.1",
        "198.51.100.7",
        id="two-hops-spoofed-left",
    ),
    pytest.param(2, "10.0.0.2", "10.0.0.1", "10.0.0.1", id="fewer-entries-than-hops"),
    pytest.param(1, None, "10.0.0.1", "10.0.0.1", id="header-missing"),
    pytest.param(1, "", "10.0.0.1", "10.0.0.1", id="header-empty"),
    pytest.param(1, "unknown", "10.0.0.1", "10.0.0.1", id="garbage"),
    pytest.param(1, "198.51.100.7, not-an-ip", "10.0.0.1", "10.0.0.1", id="garbage-at-hop"),
    pytest.param(1, "<script>", "10.0.0.1", "10.0.0.1", id="garbage-markup"),
    pytest.param(2, "198.51.100.7,,", "10.0.0.1", "10.0.0.1", id="empty-entry-at-hop"),
    pytest.param(1, " 198.51.100.7 ", "10.0.0.1", "198.51.100.7", id="whitespace"),
    pytest.param(1, "198.51.100.7:5678", "10.0.0.1", "198.51.100.7", id="ipv4-port"),
    pytest.param(1, "[2001:db8::1]:443", "10.0.0.1", "2001:db8::1", id="ipv6-bracket-port"),
    pytest.param(1, "[2001:db8::1]", "10.0.0.1", "2001:db8::1", id="ipv6-bracket"),
    pytest.param(1, "2001:DB8:0:0::1", "10.0.0.1", "2001:db8::1", id="ipv6-normalised"),
    pytest.param(1, "::ffff:198.51.100.7", "10.0.0.1", "198.51.100.7", id="ipv4-mapped"),
    pytest.param(0, None, "::ffff:192.0.2.10", "192.0.2.10", id="remote-ipv4-mapped"),
    pytest.param(0, None, "2001:db8::5", "2001:db8::5", id="remote-ipv6"),
    pytest.param(0, None, "", "", id="nothing-valid"),
    pytest.param(0, None, "garbage", "", id="remote-garbage"),
    pytest.param(1, "bogus", "", "", id="nothing-valid-behind-proxy"),
]


@pytest.mark.parametrize(("hops", "forwarded", "remote", "expected"), CASES)
def test_client_ip(settings, hops: int, forwarded: str | None, remote: str, expected: str) -> None:
    settings.DCR_TRUSTED_PROXY_COUNT = hops
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    request = RequestFactory().get("/", **meta)
    request.META["REMOTE_ADDR"] = remote  # RequestFactory fills in 127.0.0.1 otherwise
    assert client_ip(request) == expected


def test_without_settings_defaults_to_remote_addr(settings) -> None:
    # Works before DCR_TRUSTED_PROXY_COUNT is added to the settings module.
    if hasattr(settings, "DCR_TRUSTED_PROXY_COUNT"):
        del settings.DCR_TRUSTED_PROXY_COUNT
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert client_ip(request) == "192.0.2.1"


def test_configurable_header(settings) -> None:
    settings.DCR_TRUSTED_PROXY_COUNT = 1
    settings.DCR_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_REAL_IP="198.51.100.7", HTTP_X_FORWARDED_FOR="6.6.6.6"
    )
    assert client_ip(request) == "198.51.100.7"


def test_several_forwarded_headers_joined(settings) -> None:
    # WSGI servers join repeated headers with commas; the rightmost entry still wins.
    settings.DCR_TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6,198.51.100.7"
    )
    assert client_ip(request) == "198.51.100.7"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("fe80::1%eth0", "fe80::1"),
        ("[::1]:8080", "::1"),
        ("[::1", None),
        ("[::1]x", None),
        ("1.2.3", None),
        ("999.1.1.1", None),
        ("", None),
    ],
)
def test_normalize_ip(value: str, expected: str | None) -> None:
    assert normalize_ip(value) == expected
