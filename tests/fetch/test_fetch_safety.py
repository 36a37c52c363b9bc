"""RFC 7591 §5 security considerations and RFC 6890 special-use addresses: what a fetch refuses.

No test here opens a real connection: resolution is faked with ``socket.getaddrinfo`` and
``socket.socket`` is replaced by a recorder, so a refused URL provably never connects.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any

import pytest

from registration import fetch
from registration.fetch import FetchError, fetch_client_url, fetch_url, is_forbidden_address


def _info(ip: str, port: int) -> tuple[Any, ...]:
    if ":" in ip:
        return (socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (ip, port, 0, 0))
    return (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (ip, port))


@pytest.fixture
def resolve(monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[str, list[str]]], list[str]]:
    """Make getaddrinfo answer from a table; returns the list of host names looked up."""

    def install(table: dict[str, list[str]]) -> list[str]:
        calls: list[str] = []

        def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
            calls.append(host)
            if host not in table:
                raise socket.gaierror(socket.EAI_NONAME, "unknown host")
            return [_info(ip, port) for ip in table[host]]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        return calls

    return install


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Replace socket.socket: every connect is recorded and refused, nothing leaves the host."""
    recorded: list[tuple[str, int]] = []

    class RecordingSocket(socket.socket):
        def connect(self, address: Any) -> None:
            recorded.append((address[0], address[1]))
            raise ConnectionRefusedError("recorded, not connected")

    monkeypatch.setattr(socket, "socket", RecordingSocket)
    return recorded


# --- is_forbidden_address: RFC 6890 and successors ------------------------------------------

FORBIDDEN = [
    "127.0.0.1",  # loopback
    "127.255.255.254",
    "10.0.0.1",  # RFC 1918
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",  # link-local: cloud metadata
    "169.254.0.1",
    "0.0.0.0",  # unspecified / "this network"
    "0.1.2.3",
    "100.64.0.1",  # CGNAT (RFC 6598)
    "100.127.255.254",
    "192.0.0.8",  # IETF protocol assignments
    "198.18.0.1",  # benchmarking
    "198.19.255.255",
    "192.0.2.1",  # documentation (RFC 5737)
    "198.51.100.7",
    "203.0.113.9",
    "224.0.0.1",  # multicast
    "239.255.255.250",
    "240.0.0.1",  # reserved
    "255.255.255.255",  # broadcast
    "::1",  # IPv6 loopback
    "::",  # IPv6 unspecified
    "fc00::1",  # unique local
    "fd12:3456:789a::1",
    "fe80::1",  # link-local
    "fe80::1%1",  # with a scope
    "fec0::1",  # site-local
    "ff02::1",  # multicast
    "2001:db8::1",  # documentation
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "::ffff:10.0.0.1",
    "::127.0.0.1",  # IPv4-compatible (deprecated)
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
]

ALLOWED = [
    "93.184.216.34",
    "8.8.8.8",
    "1.1.1.1",
    "100.63.255.255",  # just below CGNAT
    "100.128.0.0",  # just above CGNAT
    "172.32.0.1",  # just above 172.16/12
    "2606:2800:220:1:248:1893:25c8:1946",
    "2a00:1450:4001:80b::200e",
    "::ffff:93.184.216.34",  # mapped public address: judged by the embedded IPv4
    "64:ff9b::5db8:d822",  # NAT64 of 93.184.216.34
    "2002:5db8:d822::1",  # 6to4 of 93.184.216.34
]


@pytest.mark.parametrize("address", FORBIDDEN)
def test_rfc6890_special_use_addresses_are_forbidden(address: str) -> None:
    assert is_forbidden_address(ipaddress.ip_address(address)) is True


@pytest.mark.parametrize("address", ALLOWED)
def test_rfc6890_public_addresses_are_allowed(address: str) -> None:
    assert is_forbidden_address(ipaddress.ip_address(address)) is False


# --- hostnames and literals ---------------------------------------------------------------


@pytest.mark.parametrize(
    "addresses",
    [
        ["10.0.0.5"],
        ["169.254.169.254"],
        ["fd00::1"],
        ["::ffff:127.0.0.1"],
        ["93.184.216.34", "10.0.0.5"],  # any of several is enough
        ["2606:2800:220:1:248:1893:25c8:1946", "::1"],
        ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "127.0.0.1"],
    ],
)
def test_rfc7591_s5_host_resolving_to_private_address_is_refused(
    resolve: Any, connections: list[tuple[str, int]], addresses: list[str]
) -> None:
    resolve({"api.example.com": addresses})
    with pytest.raises(FetchError, match="private or special-use"):
        fetch_url("https://api.example.com/jwks", allow_private=False)
    assert connections == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.0.0.1:8000/admin/",
        "http://10.1.2.3:8080/",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0/",
        "http://[::1]/",
        "http://[::]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://[fd00::1]/",
        "https://[fe80::1]/",
        "http://localhost/",
    ],
)
def test_rfc7591_s5_literal_private_urls_are_refused(
    connections: list[tuple[str, int]], url: str
) -> None:
    with pytest.raises(FetchError):
        fetch_url(url, allow_private=False)
    assert connections == []


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/",  # decimal 127.0.0.1
        "http://017700000001/",  # octal 127.0.0.1
        "http://0177.0.0.1/",  # octal first octet
        "http://0x7f.0.0.1/",  # hex first octet
        "http://0x7f000001/",
        "http://127.1/",  # short form
        "http://169.254.43518/",  # 169.254.169.254 in "a.b.c" form
        "http://0300.0250.0.1/",  # 192.168.0.1
    ],
)
def test_rfc6890_numeric_host_forms_never_reach_loopback(
    connections: list[tuple[str, int]], url: str
) -> None:
    # Whatever the resolver would make of these, they are refused before any connection.
    with pytest.raises(FetchError):
        fetch_url(url, allow_private=False)
    assert connections == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/x", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("gopher://example.com:70/", "scheme"),
        ("//example.com/x", "scheme"),
        ("https://user:secret@example.com/", "user information"),
        ("https://example.com@127.0.0.1/", "user information"),
        ("https:///path-only", "no host"),
        ("https://example.com:99999/", "malformed"),
        ("https://example.com/a b", "whitespace"),
        ("https://example.com/\r\nX-Injected: 1", "whitespace"),
    ],
)
def test_rfc7591_s5_malformed_or_unsupported_urls_are_refused(
    resolve: Any, connections: list[tuple[str, int]], url: str, message: str
) -> None:
    calls = resolve({"example.com": ["93.184.216.34"]})
    with pytest.raises(FetchError, match=message):
        fetch_url(url, allow_private=False)
    assert calls == []
    assert connections == []


def test_rfc7591_s5_error_message_is_one_safe_line(resolve: Any) -> None:
    resolve({})
    with pytest.raises(FetchError) as excinfo:
        fetch_url("https://unknown.example/", allow_private=False)
    assert str(excinfo.value) == "the URL host could not be resolved"


# --- pinning: the vetted address is the one connected to ------------------------------------


def test_rfc7591_s5_connection_is_pinned_to_the_vetted_address(
    monkeypatch: pytest.MonkeyPatch, connections: list[tuple[str, int]]
) -> None:
    # DNS rebinding: the first answer is public, every later one is loopback.
    calls: list[str] = []

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        calls.append(host)
        return [_info("93.184.216.34" if len(calls) == 1 else "127.0.0.1", port)]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(FetchError, match="ConnectionRefusedError"):
        fetch_url("https://rebind.example/jwks", allow_private=False)
    assert calls == ["rebind.example"]  # one lookup per hop, no second one at connect time
    assert connections == [("93.184.216.34", 443)]


def test_rfc7591_s5_every_vetted_address_is_tried_none_other(
    resolve: Any, connections: list[tuple[str, int]]
) -> None:
    calls = resolve({"multi.example": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]})
    with pytest.raises(FetchError):
        fetch_url("http://multi.example:8080/", allow_private=False)
    assert calls == ["multi.example"]
    assert connections == [("93.184.216.34", 8080), ("2606:2800:220:1:248:1893:25c8:1946", 8080)]


def test_allow_private_reaches_private_addresses(
    resolve: Any, connections: list[tuple[str, int]]
) -> None:
    resolve({"intranet.example": ["10.0.0.5"]})
    with pytest.raises(FetchError, match="ConnectionRefusedError"):
        fetch_url("http://intranet.example/", allow_private=True)
    assert connections == [("10.0.0.5", 80)]


# --- fetch_client_url and DCR_FETCH_ALLOW_PRIVATE_ADDRESSES ----------------------------------


def test_rfc7591_s5_client_url_must_be_https_by_default(
    settings: Any, resolve: Any, connections: list[tuple[str, int]]
) -> None:
    settings.DCR_FETCH_ALLOW_PRIVATE_ADDRESSES = False
    calls = resolve({"client.example": ["93.184.216.34"]})
    with pytest.raises(FetchError, match="scheme must be https"):
        fetch_client_url("http://client.example/sector.json")
    assert calls == []
    assert connections == []


def test_rfc7591_s5_client_url_private_address_refused_by_default(
    settings: Any, resolve: Any, connections: list[tuple[str, int]]
) -> None:
    settings.DCR_FETCH_ALLOW_PRIVATE_ADDRESSES = False
    resolve({"client.example": ["192.168.0.10"]})
    with pytest.raises(FetchError, match="private or special-use"):
        fetch_client_url("https://client.example/sector.json")
    assert connections == []


def test_client_url_private_and_http_allowed_when_setting_is_on(
    settings: Any, resolve: Any, connections: list[tuple[str, int]]
) -> None:
    settings.DCR_FETCH_ALLOW_PRIVATE_ADDRESSES = True
    resolve({"lab.example": ["192.168.0.10"]})
    with pytest.raises(FetchError, match="ConnectionRefusedError"):
        fetch_client_url("http://lab.example/sector.json")
    assert connections == [("192.168.0.10", 80)]


def test_trusted_url_may_be_private_and_http(
    resolve: Any, connections: list[tuple[str, int]]
) -> None:
    resolve({"keys.internal": ["10.1.1.1"]})
    with pytest.raises(FetchError, match="ConnectionRefusedError"):
        fetch.fetch_trusted_url("http://keys.internal:8443/jwks.json")
    assert connections == [("10.1.1.1", 8443)]
