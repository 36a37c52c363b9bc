"""A workspace's JWKS URI misbehaving, seen through ``POST {ws}/oauth2/register``: slow, huge,
redirecting forever, or answering garbage. Each is a clear 400 within a bounded time, the URI
never appears in the answer, and nothing is written.

The down/outage/rotation cases are in tests/protections/test_protect_jwks_uri.py and the fetcher's
own limits in tests/fetch/test_fetch_http.py.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client as HttpClient

from registration.configuration import KeySetChange, SettingsChange, dcr_configure
from registration.jose import keysets
from tenants.models import Workspace
from tests.helpers import SERVICE_CLIENT, post_json
from tests.security.conftest import KeyPair, assert_json_error, statement_claims

REGISTER = "/default/default/oauth2/register"
TEST_TIMEOUT = 1.0  # the fetch deadline for these tests (production: keysets.FETCH_TIMEOUT, 3 s)


class BadJWKSServer:
    """Answers ``GET /<mode>`` according to the mode; counts hits."""

    def __init__(self, good_jwks: dict[str, Any]) -> None:
        self.hits = 0
        self.stop_event = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits += 1
                mode = self.path.strip("/")
                if mode == "slow":
                    outer.stop_event.wait(TEST_TIMEOUT * 4)
                    self._send(200, json.dumps(good_jwks).encode())
                elif mode == "trickle":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    for _ in range(100):  # one byte every 0.1 s: each read is "fast"
                        if outer.stop_event.wait(0.1):
                            return
                        try:
                            self.wfile.write(b" ")
                            self.wfile.flush()
                        except OSError:
                            return
                elif mode == "huge":
                    keys = [good_jwks["keys"][0]] * 2000
                    self._send(200, json.dumps({"keys": keys}).encode())
                elif mode == "huge-chunked":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    try:
                        for _ in range(100):
                            self.wfile.write(b" " * 8192)
                    except OSError:
                        return
                elif mode == "redirect-loop":
                    self.send_response(302)
                    self.send_header("Location", "/redirect-loop")
                    self.end_headers()
                elif mode == "redirect-chain":
                    self.send_response(301)
                    self.send_header("Location", "/redirect-chain")
                    self.end_headers()
                elif mode in GARBAGE:
                    self._send(200, GARBAGE[mode])
                elif mode == "status-500":
                    self._send(500, b'{"keys": []}')
                else:
                    self._send(404, b"")

            def _send(self, status: int, payload: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        self.httpd.shutdown()
        self.httpd.server_close()


GARBAGE: dict[str, bytes] = {
    "html": b"<html><body>502 Bad Gateway</body></html>",
    "not-utf8": b"\xff\xfe\x00{",
    "empty": b"",
    "json-array": b"[]",
    "json-string": b'"keys"',
    "no-keys": b'{"kty": "RSA"}',
    "keys-not-list": b'{"keys": {"kty": "RSA"}}',
    "empty-keys": b'{"keys": []}',
    "symmetric-key": b'{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}',
    "deep-nesting": b'{"keys": ' + b"[" * 50000 + b"]" * 50000 + b"}",
    "nan": b'{"keys": [NaN]}',
    "huge-number": b'{"keys": [1e999999]}',
}


@pytest.fixture
def bad_server(rsa_key: KeyPair) -> Iterator[BadJWKSServer]:
    server = BadJWKSServer(rsa_key.jwks)
    yield server
    server.stop()


@pytest.fixture
def short_deadline(monkeypatch: Any) -> None:
    monkeypatch.setattr(keysets, "FETCH_TIMEOUT", TEST_TIMEOUT)


def _register_with_statement_from(
    workspace: Workspace, url: str, key: KeyPair
) -> tuple[Any, float]:
    dcr_configure(
        workspace=workspace,
        change=SettingsChange(software_statement=KeySetChange(jwks_uri=url)),
    )
    body = {**SERVICE_CLIENT, "software_statement": key.sign(statement_claims())}
    started = time.monotonic()
    response = post_json(HttpClient(), REGISTER, body)
    return response, time.monotonic() - started


MODES = [
    "slow",
    "trickle",
    "huge",
    "huge-chunked",
    "redirect-loop",
    "redirect-chain",
    "status-500",
    *GARBAGE,
]


@pytest.mark.parametrize("mode", MODES)
def test_rfc7591_3_2_2_misbehaving_jwks_uri_is_a_clear_400_in_bounded_time(
    workspace: Workspace,
    bad_server: BadJWKSServer,
    rsa_key: KeyPair,
    short_deadline: None,
    unchanged: Any,
    mode: str,
) -> None:
    url = f"{bad_server.base}/{mode}"

    response, elapsed = _register_with_statement_from(workspace, url, rsa_key)

    body = assert_json_error(response)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert body["error"] == "invalid_software_statement"
    assert "unavailable" in body["error_description"]
    assert url not in body["error_description"] and "127.0.0.1" not in body["error_description"]
    assert elapsed < TEST_TIMEOUT + 2.0
    unchanged()


def test_failing_jwks_uri_is_not_refetched_per_request(
    workspace: Workspace, bad_server: BadJWKSServer, rsa_key: KeyPair, short_deadline: None
) -> None:
    """A fetch storm against a broken URI is bounded (keysets.FAILURE_TTL)."""
    for _ in range(5):
        response, _elapsed = _register_with_statement_from(
            workspace, f"{bad_server.base}/html", rsa_key
        )
        assert response.status_code == HTTPStatus.BAD_REQUEST
    assert bad_server.hits == 1
