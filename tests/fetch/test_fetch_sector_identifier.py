"""OIDC Registration §5: the sector_identifier_uri document must list every redirect URI.

Served by a local server on 127.0.0.1; ``DCR_FETCH_ALLOW_PRIVATE_ADDRESSES`` lets the fetch reach
it (and allows http, for labs and tests).
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from registration.errors import InvalidClientMetadata
from registration.sector_identifier import UNUSABLE, check_sector_identifier

REDIRECTS = ["https://app.example.com/cb", "https://app.example.com/cb2"]

DOCUMENTS: dict[str, tuple[int, bytes]] = {
    "/all.json": (200, json.dumps([*REDIRECTS, "https://other.example.com/cb"]).encode()),
    "/partial.json": (200, json.dumps(REDIRECTS[:1]).encode()),
    "/not-json": (200, b"<html>SECRET-PAGE</html>"),
    "/object.json": (200, json.dumps({"redirect_uris": REDIRECTS}).encode()),
    "/numbers.json": (200, json.dumps([1, 2, 3]).encode()),
    "/gone": (404, b"SECRET-NOT-FOUND-PAGE"),
}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status, body = DOCUMENTS.get(self.path, (404, b""))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def base(settings: Any) -> Iterator[str]:
    settings.DCR_FETCH_ALLOW_PRIVATE_ADDRESSES = True
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _refusal(uri: str, redirect_uris: list[str] = REDIRECTS) -> str:
    with pytest.raises(InvalidClientMetadata) as excinfo:
        check_sector_identifier(uri=uri, redirect_uris=redirect_uris)
    assert excinfo.value.error == "invalid_client_metadata"
    assert excinfo.value.rule == "sector_identifier_uri"
    description = excinfo.value.description
    assert description.startswith("sector_identifier_uri ")
    assert "SECRET" not in description  # the fetched body is never echoed
    return description


def test_oidc_registration_s5_document_listing_every_redirect_uri_passes(base: str) -> None:
    check_sector_identifier(uri=f"{base}/all.json", redirect_uris=REDIRECTS)


def test_oidc_registration_s5_missing_redirect_uri_is_named(base: str) -> None:
    description = _refusal(f"{base}/partial.json")
    assert description.endswith("https://app.example.com/cb2")


def test_oidc_registration_s5_missing_value_is_truncated_to_100_chars(base: str) -> None:
    long_uri = "https://app.example.com/" + "a" * 500
    description = _refusal(f"{base}/all.json", [long_uri])
    assert long_uri[:100] + "..." in description
    assert long_uri[:101] not in description


def test_oidc_registration_s5_match_is_exact(base: str) -> None:
    _refusal(f"{base}/all.json", ["https://app.example.com/cb/"])
    _refusal(f"{base}/all.json", ["https://APP.example.com/cb"])


def test_oidc_registration_s5_body_must_be_json(base: str) -> None:
    assert "JSON" in _refusal(f"{base}/not-json")


@pytest.mark.parametrize("path", ["/object.json", "/numbers.json"])
def test_oidc_registration_s5_body_must_be_an_array_of_strings(base: str, path: str) -> None:
    assert "array" in _refusal(f"{base}{path}")


def test_oidc_registration_s5_unreachable_document_is_refused(base: str) -> None:
    # Issue 14 finding 9: one text for every unusable URI (the reason goes to the server log).
    assert _refusal(f"{base}/gone") == UNUSABLE
    with socket.socket() as unused:  # a port nobody listens on
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    assert _refusal(f"http://127.0.0.1:{port}/all.json") == UNUSABLE


def test_rfc7591_s5_sector_identifier_fetch_obeys_private_address_setting(
    base: str, settings: Any
) -> None:
    settings.DCR_FETCH_ALLOW_PRIVATE_ADDRESSES = False
    assert _refusal(f"{base}/all.json") == UNUSABLE
    port = base.rsplit(":", 1)[1]
    assert _refusal(f"https://127.0.0.1:{port}/all.json") == UNUSABLE
