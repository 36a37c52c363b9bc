"""fetch_url against a real local HTTP(S) server on 127.0.0.1 (RFC 7591 §5 security considerations).

The server runs in a thread on an ephemeral port; ``allow_private=True`` lets the fetch reach it
unless a test is about the refusal.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from registration import fetch
from registration.fetch import FetchError, fetch_client_url, fetch_url
from tests.servers import self_signed_certificate

Route = Callable[[BaseHTTPRequestHandler, dict[str, str]], None]


def reply(
    handler: BaseHTTPRequestHandler,
    status: int = 200,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> None:
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _stream(handler: BaseHTTPRequestHandler, params: dict[str, str]) -> None:
    # No Content-Length: HTTP/1.0, the body ends when the connection closes.
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.end_headers()
    for _ in range(int(params.get("chunks", "10"))):
        handler.wfile.write(b"x" * 100)


def _trickle(handler: BaseHTTPRequestHandler, params: dict[str, str]) -> None:
    # Each byte arrives well within a socket timeout, the whole body never within the deadline.
    handler.send_response(200)
    handler.end_headers()
    for _ in range(30):
        handler.wfile.write(b"x")
        handler.wfile.flush()
        time.sleep(0.1)


def _liar(handler: BaseHTTPRequestHandler, params: dict[str, str]) -> None:
    # Announces a gigabyte, sends a few bytes and then holds the connection open.
    handler.send_response(200)
    handler.send_header("Content-Length", "1000000000")
    handler.end_headers()
    handler.wfile.write(b"[")
    handler.wfile.flush()
    time.sleep(2)


def _echo(handler: BaseHTTPRequestHandler, params: dict[str, str]) -> None:
    seen = {name.lower(): value for name, value in handler.headers.items()}
    reply(handler, body=json.dumps(seen).encode(), headers={"Content-Type": "application/json"})


ROUTES: dict[str, Route] = {
    "/json": lambda h, p: reply(
        h,
        body=b'{"keys": []}',
        headers={"Content-Type": "Application/JSON; charset=utf-8", "Cache-Control": "max-age=60"},
    ),
    "/plain": lambda h, p: reply(h, body=b"hello"),
    "/status": lambda h, p: reply(h, int(p["code"]), body=b"SECRET-BODY-CONTENT"),
    "/sized": lambda h, p: reply(h, body=b"a" * int(p["n"])),
    "/liar": _liar,
    "/stream": _stream,
    "/slow": lambda h, p: (time.sleep(2), reply(h, body=b"late")),
    "/trickle": _trickle,
    "/cache": lambda h, p: reply(
        h, body=b"{}", headers={"Cache-Control": p["cc"]} if "cc" in p else {}
    ),
    "/echo": _echo,
    "/redirect": lambda h, p: reply(
        h, int(p.get("code", "302")), headers={"Location": p["to"]} if "to" in p else {}
    ),
    "/chain": lambda h, p: (
        reply(h, 302, headers={"Location": f"/chain?n={int(p['n']) - 1}"})
        if int(p["n"]) > 0
        else reply(h, body=b'"end"', headers={"Content-Type": "application/json"})
    ),
}


class Handler(BaseHTTPRequestHandler):
    server: Server

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        self.server.requests.append((self.command, self.path))
        params = {key: values[0] for key, values in parse_qs(parts.query).items()}
        ROUTES.get(parts.path, lambda h, p: reply(h, 404))(self, params)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    requests: list[tuple[str, str]]


def _serve(context: ssl.SSLContext | None = None) -> Iterator[Server]:
    server = Server(("127.0.0.1", 0), Handler)
    server.requests = []
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    yield from _serve()


@pytest.fixture
def base(server: Server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def _info(ip: str, port: int) -> tuple[Any, ...]:
    return (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (ip, port))


@pytest.fixture
def resolve(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """``internal.test`` resolves to 10.0.0.5, other ``.test`` names to 127.0.0.1, the rest as
    usual. Returns the list of names looked up."""
    real = socket.getaddrinfo
    calls: list[str] = []

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        calls.append(host)
        if host == "internal.test":
            return [_info("10.0.0.5", port)]
        if host.endswith(".test"):
            return [_info("127.0.0.1", port)]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return calls


# --- fetching -------------------------------------------------------------------------------


def test_fetch_returns_body_media_type_and_max_age(base: str) -> None:
    result = fetch_url(f"{base}/json", allow_private=True)
    assert result.body == b'{"keys": []}'
    assert result.content_type == "application/json"
    assert result.max_age == 60


def test_fetch_without_content_type_gives_empty_string(base: str) -> None:
    result = fetch_url(f"{base}/plain", allow_private=True)
    assert result.body == b"hello"
    assert result.content_type == ""
    assert result.max_age is None


def test_rfc7591_s5_request_is_a_plain_get_with_pinned_host_header(
    server: Server, resolve: list[str]
) -> None:
    port = server.server_address[1]
    result = fetch_url(f"http://pinned.test:{port}/echo", allow_private=True, accept="text/plain")
    seen = json.loads(result.body)
    assert seen["host"] == f"pinned.test:{port}"  # the URL's host, though 127.0.0.1 was dialled
    assert seen["user-agent"] == "dcr-server"
    assert seen["accept"] == "text/plain"
    assert "cookie" not in seen
    assert "authorization" not in seen
    assert server.requests == [("GET", "/echo")]
    assert resolve == ["pinned.test"]


def test_rfc7591_s5_environment_proxy_is_ignored(
    base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://192.0.2.1:3128")
    assert fetch_url(f"{base}/plain", allow_private=True).body == b"hello"


@pytest.mark.parametrize("code", [HTTPStatus.NOT_FOUND, HTTPStatus.INTERNAL_SERVER_ERROR, 204])
def test_non_2xx_is_an_error_naming_the_status_never_the_body(base: str, code: int) -> None:
    if code == 204:  # 2xx other than 200 is a success (with an empty body)
        assert fetch_url(f"{base}/status?code=204", allow_private=True).body == b""
        return
    with pytest.raises(FetchError) as excinfo:
        fetch_url(f"{base}/status?code={int(code)}", allow_private=True)
    assert str(excinfo.value) == f"the server answered HTTP {int(code)}"
    assert "SECRET" not in str(excinfo.value)


def test_private_address_refused_without_allow_private(server: Server, base: str) -> None:
    with pytest.raises(FetchError, match="private or special-use"):
        fetch_url(f"{base}/json", allow_private=False)
    assert server.requests == []


# --- size cap -------------------------------------------------------------------------------


def test_rfc7591_s5_body_up_to_max_bytes_is_accepted(base: str) -> None:
    assert fetch_url(f"{base}/sized?n=50", allow_private=True, max_bytes=50).body == b"a" * 50


def test_rfc7591_s5_body_over_max_bytes_is_refused(base: str) -> None:
    with pytest.raises(FetchError, match="larger than 50 bytes"):
        fetch_url(f"{base}/sized?n=51", allow_private=True, max_bytes=50)


def test_rfc7591_s5_announced_content_length_is_refused_before_reading(base: str) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError, match="larger than 65536 bytes"):
        fetch_url(f"{base}/liar", allow_private=True)
    assert time.monotonic() - started < 1  # did not wait for a gigabyte that never comes


def test_rfc7591_s5_streamed_body_without_length_is_capped(base: str) -> None:
    assert len(fetch_url(f"{base}/stream?chunks=5", allow_private=True).body) == 500
    with pytest.raises(FetchError, match="larger than 499 bytes"):
        fetch_url(f"{base}/stream?chunks=5", allow_private=True, max_bytes=499)
    with pytest.raises(FetchError, match="larger than 1000 bytes"):
        fetch_url(f"{base}/stream?chunks=10000", allow_private=True, max_bytes=1000)


# --- timeouts -------------------------------------------------------------------------------


def test_rfc7591_s5_slow_server_times_out(base: str) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError, match="timed out"):
        fetch_url(f"{base}/slow", allow_private=True, timeout=0.5)
    assert time.monotonic() - started < 1.5


def test_rfc7591_s5_trickling_body_hits_the_overall_deadline(base: str) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError, match="timed out"):
        fetch_url(f"{base}/trickle", allow_private=True, timeout=0.5)
    assert time.monotonic() - started < 1.5


# --- Cache-Control --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cache_control", "expected"),
    [
        (None, None),
        ("max-age=300", 300),
        ('max-age="120"', 120),
        ("public, max-age=300, s-maxage=60", 60),  # s-maxage wins
        ("S-MaxAge=60, Max-Age=300", 60),
        ("no-store", 0),
        ("no-cache", 0),
        ("max-age=300, no-store", 0),
        ("max-age=abc", None),
        ("max-age=-5", None),
        ("max-age=", None),
        ("garbage;;;", None),
        ("s-maxage=bogus, max-age=30", 30),
    ],
)
def test_cache_control_max_age(base: str, cache_control: str | None, expected: int | None) -> None:
    query = "" if cache_control is None else "?cc=" + quote(cache_control, safe="")
    assert fetch_url(f"{base}/cache{query}", allow_private=True).max_age == expected


# --- redirects ------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_redirects_are_followed(base: str, code: int) -> None:
    result = fetch_url(f"{base}/redirect?code={code}&to=/json", allow_private=True)
    assert result.body == b'{"keys": []}'


def test_relative_redirect_resolves_against_current_url(server: Server, base: str) -> None:
    assert fetch_url(f"{base}/chain?n=3", allow_private=True).body == b'"end"'
    assert [path for _, path in server.requests] == [
        "/chain?n=3",
        "/chain?n=2",
        "/chain?n=1",
        "/chain?n=0",
    ]


def test_redirects_are_capped(server: Server, base: str) -> None:
    with pytest.raises(FetchError, match="more than 3 redirects"):
        fetch_url(f"{base}/chain?n=4", allow_private=True)
    assert len(server.requests) == 4
    with pytest.raises(FetchError, match="more than 0 redirects"):
        fetch_url(f"{base}/chain?n=1", allow_private=True, max_redirects=0)


def test_redirect_without_location_is_an_error(base: str) -> None:
    with pytest.raises(FetchError, match="HTTP 302 without a Location"):
        fetch_url(f"{base}/redirect", allow_private=True)


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.2:{port}/json",
        "http://[::1]:{port}/json",
        "http://internal.test:{port}/json",
        "http://2130706433:{port}/json",
        "file:///etc/passwd",
        "http://user@public.test:{port}/json",
    ],
)
def test_rfc7591_s5_every_redirect_hop_is_revalidated(
    server: Server, resolve: list[str], monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    # Pretend the test server's address (127.0.0.1, where public.test resolves) is public; the
    # real check still judges every other address, so only the first hop can pass.
    real = fetch.is_forbidden_address
    public = ipaddress.ip_address("127.0.0.1")
    monkeypatch.setattr(fetch, "is_forbidden_address", lambda a: a != public and real(a))
    port = server.server_address[1]
    location = quote(target.format(port=port), safe="")
    with pytest.raises(FetchError):
        fetch_url(f"http://public.test:{port}/redirect?to={location}", allow_private=False)
    assert [path for _, path in server.requests] == [f"/redirect?to={location}"]


def test_redirect_to_a_public_looking_host_is_followed_once_vetted(
    server: Server, resolve: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = fetch.is_forbidden_address
    public = ipaddress.ip_address("127.0.0.1")
    monkeypatch.setattr(fetch, "is_forbidden_address", lambda a: a != public and real(a))
    port = server.server_address[1]
    location = quote(f"http://other.test:{port}/json", safe="")
    result = fetch_url(f"http://public.test:{port}/redirect?to={location}", allow_private=False)
    assert result.body == b'{"keys": []}'
    assert resolve == ["public.test", "other.test"]  # one lookup per hop


# --- fetch_client_url -----------------------------------------------------------------------


def test_client_url_reaches_local_server_only_when_setting_is_on(
    settings: Any, server: Server, base: str
) -> None:
    settings.DCR_FETCH_ALLOW_PRIVATE_ADDRESSES = True
    assert fetch_client_url(f"{base}/json").body == b'{"keys": []}'
    settings.DCR_FETCH_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(FetchError, match="scheme must be https"):
        fetch_client_url(f"{base}/json")
    with pytest.raises(FetchError, match="private or special-use"):
        fetch_client_url(f"https://127.0.0.1:{server.server_address[1]}/json")
    assert len(server.requests) == 1


# --- TLS: certificate verified against the URL's host while connected to the pinned IP -----


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for tls.test (its own CA); returns (cert, key) paths."""
    return self_signed_certificate("tls.test", tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[Server]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    yield from _serve(context)


@pytest.fixture
def trust_test_ca(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """The default context, plus the test certificate as a trust anchor."""
    real = ssl.create_default_context

    def create_default_context(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        context = real(*args, **kwargs)
        context.load_verify_locations(cafile=str(certificate[0]))
        return context

    monkeypatch.setattr(ssl, "create_default_context", create_default_context)


def test_https_verifies_the_certificate_for_the_url_host(
    tls_server: Server, resolve: list[str], trust_test_ca: None
) -> None:
    port = tls_server.server_address[1]
    result = fetch_url(f"https://tls.test:{port}/echo", allow_private=True)
    assert json.loads(result.body)["host"] == f"tls.test:{port}"


def test_https_refuses_a_certificate_for_another_host(
    tls_server: Server, resolve: list[str], trust_test_ca: None
) -> None:
    with pytest.raises(FetchError, match="TLS"):
        fetch_url(f"https://other.test:{tls_server.server_address[1]}/json", allow_private=True)


def test_https_refuses_an_untrusted_certificate(tls_server: Server, resolve: list[str]) -> None:
    with pytest.raises(FetchError, match="TLS"):
        fetch_url(f"https://tls.test:{tls_server.server_address[1]}/json", allow_private=True)


def test_rfc7591_s5_redirect_from_https_to_http_is_refused(
    tls_server: Server, server: Server, resolve: list[str], trust_test_ca: None
) -> None:
    location = quote(f"http://127.0.0.1:{server.server_address[1]}/json", safe="")
    url = f"https://tls.test:{tls_server.server_address[1]}/redirect?to={location}"
    with pytest.raises(FetchError, match="from https to http"):
        fetch_url(url, allow_private=True)
    assert server.requests == []
