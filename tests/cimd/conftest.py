"""Fixtures for Client ID Metadata Documents: the HTTPS document server, a workspace with CIMD
on, and helpers to publish documents and use them at the OAuth endpoints."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as HttpClient

from registration.configuration import SettingsChange, dcr_configure
from tenants.models import Workspace
from tests.cimd import helpers
from tests.cimd.docserver import DocumentServer, Resource
from tests.cimd.helpers import REDIRECT_URI, pkce_pair
from tests.helpers import sign_in, ws_url

PublishFn = Callable[..., str]


@pytest.fixture(scope="session")
def doc_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocumentServer]:
    server = DocumentServer(tmp_path_factory.mktemp("cimd-ca"))
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def trust_doc_server(
    doc_server: DocumentServer, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    """The test CA is the trust store (SSL_CERT_FILE), and loopback document hosts are admitted
    (DCR_FETCH_ALLOW_PRIVATE_ADDRESSES, as a lab would set it)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(doc_server.ca_file))
    settings.DCR_FETCH_ALLOW_PRIVATE_ADDRESSES = True


@pytest.fixture
def cimd_workspace(workspace: Workspace) -> Workspace:
    dcr_configure(workspace=workspace, change=SettingsChange(cimd_enabled=True))
    workspace.refresh_from_db()
    return workspace


@pytest.fixture
def user(db: None) -> Any:
    return get_user_model().objects.create_user(username="alice", password="correct horse 42")


@pytest.fixture
def publish(doc_server: DocumentServer) -> PublishFn:
    """Publish a document at a fresh URL (``public_document`` unless ``document`` is given);
    returns the URL. ``options`` go to :class:`Resource` (status, cache_control, ...)."""

    def _publish(document: Any = None, *, url: str | None = None, **options: Any) -> str:
        url = url or doc_server.new_url()
        body = helpers.public_document(url) if document is None else document
        if callable(body):
            body = body(url)
        doc_server.publish(url, body, **options)
        return url

    return _publish


@pytest.fixture
def resource(doc_server: DocumentServer) -> Callable[[str], Resource]:
    return lambda url: doc_server.resources[doc_server.path_of(url)]


@pytest.fixture
def authorize_get(api: HttpClient, user: Any) -> Callable[..., Any]:
    """GET the authorization endpoint as a logged-in user (the consent page, or an error)."""

    def _get(workspace: Workspace, client_id: str, **overrides: str) -> Any:
        sign_in(api, user, workspace)
        _verifier, challenge = pkce_pair()
        params = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": "openid",
            "state": "xyz",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            **overrides,
        }
        return api.get(ws_url(workspace, "/oauth2/authorize"), params)

    return _get
