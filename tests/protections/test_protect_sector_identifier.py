"""OIDC Registration §5: ``sector_identifier_uri`` is checked on registration AND update.

The metadata validator requires an https ``sector_identifier_uri`` (OIDC Registration §2,
``registration/metadata/uris.py``), so most tests replace the fetch the check makes
(``registration.sector_identifier.fetch_client_url``) with a fake returning a ``FetchResult``.
One test serves the document over real TLS from 127.0.0.1 (a self-signed test CA is trusted),
and the SSRF test runs the real fetch with ``socket.getaddrinfo`` answering 10.0.0.5.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.test import Client as HttpClient

from registration.fetch import FetchError, FetchResult
from registration.models import Client
from registration.sector_identifier import UNUSABLE
from tenants.models import Workspace
from tests.helpers import WEB_CLIENT, bearer, post_json, put_json
from tests.servers import self_signed_certificate

REGISTER = "/default/default/oauth2/register"
SECTOR_URI = "https://sector.example.com/redirects.json"
REDIRECTS = ["https://app.example.com/callback", "https://app.example.com/other"]
METADATA = {**WEB_CLIENT, "redirect_uris": REDIRECTS, "sector_identifier_uri": SECTOR_URI}


class FakeSector:
    """Stands in for the network: the document served per URL, and the URLs asked for."""

    def __init__(self) -> None:
        self.documents: dict[str, Any] = {}
        self.calls: list[str] = []

    def __call__(self, url: str, **kwargs: Any) -> FetchResult:
        self.calls.append(url)
        if url not in self.documents:
            raise FetchError("the server answered HTTP 404")
        body = json.dumps(self.documents[url]).encode()
        return FetchResult(body=body, content_type="application/json", max_age=None)


@pytest.fixture
def sector(monkeypatch: pytest.MonkeyPatch, settings: Any, workspace: Workspace) -> FakeSector:
    settings.DCR_FETCH_ALLOW_PRIVATE_ADDRESSES = True
    fake = FakeSector()
    monkeypatch.setattr("registration.sector_identifier.fetch_client_url", fake)
    return fake


def _assert_refused(response: Any) -> str:
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    body = response.json()
    assert body["error"] == "invalid_client_metadata"
    description: str = body["error_description"]
    assert "sector_identifier_uri" in description
    return description


# -- registration (RFC 7591 §3 + OIDC Registration §5) -------------------------------------------
def test_oidc_registration_s5_document_listing_every_redirect_uri_registers(
    api: HttpClient, sector: FakeSector
) -> None:
    sector.documents[SECTOR_URI] = [*REDIRECTS, "https://elsewhere.example.com/cb"]

    response = post_json(api, REGISTER, METADATA)

    assert response.status_code == HTTPStatus.CREATED, response.content
    body = response.json()
    assert body["sector_identifier_uri"] == SECTOR_URI
    assert body["redirect_uris"] == REDIRECTS
    assert sector.calls == [SECTOR_URI]


def test_oidc_registration_s5_missing_redirect_uri_is_refused_and_nothing_written(
    api: HttpClient, sector: FakeSector
) -> None:
    sector.documents[SECTOR_URI] = REDIRECTS[:1]

    description = _assert_refused(post_json(api, REGISTER, METADATA))

    assert REDIRECTS[1] in description
    assert not Client.objects.exists()


def test_oidc_registration_s5_unreachable_document_is_refused(
    api: HttpClient, sector: FakeSector
) -> None:
    _assert_refused(post_json(api, REGISTER, METADATA))  # the fake answers 404

    assert not Client.objects.exists()


def test_without_sector_identifier_uri_nothing_is_fetched(
    api: HttpClient, sector: FakeSector
) -> None:
    response = post_json(api, REGISTER, WEB_CLIENT)

    assert response.status_code == HTTPStatus.CREATED, response.content
    assert sector.calls == []


# -- update (RFC 7592 §2.2: the same rules over the replacement metadata) -------------------------
@pytest.fixture
def registered_with_sector(api: HttpClient, sector: FakeSector) -> dict[str, Any]:
    sector.documents[SECTOR_URI] = REDIRECTS
    response = post_json(api, REGISTER, METADATA)
    assert response.status_code == HTTPStatus.CREATED, response.content
    body: dict[str, Any] = response.json()
    return body


def _update(api: HttpClient, registered: dict[str, Any], metadata: dict[str, Any]) -> Any:
    return put_json(
        api,
        f"{REGISTER}/{registered['client_id']}",
        {**metadata, "client_id": registered["client_id"]},
        **bearer(registered["registration_access_token"]),
    )


def _snapshot(client_id: str) -> tuple[str, str, dict[str, Any]]:
    client = Client.objects.get(client_id=client_id)
    return client.name, client.redirect_uris, dict(client.metadata)


def test_rfc7592_s2_2_update_adding_an_unlisted_redirect_uri_is_refused_and_unchanged(
    api: HttpClient, sector: FakeSector, registered_with_sector: dict[str, Any]
) -> None:
    client_id = registered_with_sector["client_id"]
    before = _snapshot(client_id)
    unlisted = "https://app.example.com/not-listed"

    response = _update(
        api,
        registered_with_sector,
        {**METADATA, "client_name": "Renamed", "redirect_uris": [*REDIRECTS, unlisted]},
    )

    assert unlisted in _assert_refused(response)
    assert _snapshot(client_id) == before
    assert sector.calls == [SECTOR_URI, SECTOR_URI]


def test_rfc7592_s2_2_update_to_a_document_that_no_longer_lists_the_uris_is_refused(
    api: HttpClient, sector: FakeSector, registered_with_sector: dict[str, Any]
) -> None:
    client_id = registered_with_sector["client_id"]
    before = _snapshot(client_id)
    other = "https://sector.example.com/other.json"
    sector.documents[other] = ["https://unrelated.example.com/cb"]

    response = _update(api, registered_with_sector, {**METADATA, "sector_identifier_uri": other})

    _assert_refused(response)
    assert _snapshot(client_id) == before
    # The registration access token was not rotated by the refused update (RFC 7592 §2.2).
    retry = _update(api, registered_with_sector, {**METADATA, "client_name": "Renamed"})
    assert retry.status_code == HTTPStatus.OK, retry.content
    assert retry.json()["client_name"] == "Renamed"


def test_rfc7592_s2_2_update_with_a_listing_document_succeeds(
    api: HttpClient, sector: FakeSector, registered_with_sector: dict[str, Any]
) -> None:
    response = _update(api, registered_with_sector, {**METADATA, "redirect_uris": REDIRECTS[:1]})

    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["redirect_uris"] == REDIRECTS[:1]


def test_rfc7592_s2_unauthenticated_update_fetches_nothing(
    api: HttpClient, sector: FakeSector, registered_with_sector: dict[str, Any]
) -> None:
    """RFC 7591 §5: a caller without the registration access token cannot make us fetch."""
    response = _update(
        api,
        {**registered_with_sector, "registration_access_token": "wrong"},
        {**METADATA, "sector_identifier_uri": "https://sector.example.com/probe"},
    )

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert sector.calls == [SECTOR_URI]  # only the registration's fetch


# -- RFC 7591 §5: SSRF, through the real fetch ---------------------------------------------------
def _info(ip: str, port: int) -> tuple[Any, ...]:
    return (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (ip, port))


@pytest.fixture
def resolve(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str], None]:
    """resolve(host, ip): ``host`` resolves to ``ip``; every other name as usual."""
    real = socket.getaddrinfo
    table: dict[str, str] = {}

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        if host in table:
            return [_info(table[host], port)]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table.__setitem__


def test_rfc7591_s5_sector_uri_resolving_to_a_private_address_is_refused(
    api: HttpClient, workspace: Workspace, settings: Any, resolve: Callable[[str, str], None]
) -> None:
    settings.DCR_FETCH_ALLOW_PRIVATE_ADDRESSES = False
    resolve("sector.example.com", "10.0.0.5")

    description = _assert_refused(post_json(api, REGISTER, METADATA))

    # Issue 14 finding 9: the same text as an unresolvable host (no DNS oracle).
    assert description == UNUSABLE
    assert not Client.objects.exists()


# -- the real fetch over TLS (certificate for sector.test, trusted by the test) ------------------
@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed_certificate("sector.test", tmp_path_factory.mktemp("sector-tls"))


@pytest.fixture
def tls_sector(
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
    resolve: Callable[[str, str], None],
) -> Iterator[str]:
    """``https://sector.test:PORT`` served from 127.0.0.1; yields the document's URL."""
    settings.DCR_FETCH_ALLOW_PRIVATE_ADDRESSES = True
    resolve("sector.test", "127.0.0.1")
    real = ssl.create_default_context

    def create_default_context(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        context = real(*args, **kwargs)
        context.load_verify_locations(cafile=str(certificate[0]))
        return context

    monkeypatch.setattr(ssl, "create_default_context", create_default_context)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(REDIRECTS if self.path == "/all.json" else REDIRECTS[:1]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield f"https://sector.test:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_oidc_registration_s5_real_https_document_end_to_end(
    api: HttpClient, workspace: Workspace, tls_sector: str
) -> None:
    accepted = post_json(
        api, REGISTER, {**METADATA, "sector_identifier_uri": f"{tls_sector}/all.json"}
    )
    refused = post_json(
        api, REGISTER, {**METADATA, "sector_identifier_uri": f"{tls_sector}/partial.json"}
    )

    assert accepted.status_code == HTTPStatus.CREATED, accepted.content
    _assert_refused(refused)
    assert Client.objects.count() == 1
