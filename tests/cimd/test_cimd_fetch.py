"""Fetching documents (draft -01 §4, §6.5, §6.6) against the HTTPS test server: 200 only, no
redirects, the size cap, special-use addresses, TLS verified against SSL_CERT_FILE."""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest

from registration.models import AuditEvent
from tenants.models import Workspace
from tests.cimd.conftest import PublishFn
from tests.cimd.docserver import DocumentServer, localhost_certificate
from tests.cimd.helpers import cimd_rows, public_document


def _refusal(workspace: Workspace) -> AuditEvent:
    (event,) = AuditEvent.objects.filter(workspace=workspace, event="refused", operation="cimd")
    return event


@pytest.mark.parametrize("status", [201, 203, 204, 301, 404, 410, 500, 503])
def test_s4_only_200_is_a_document(
    cimd_workspace: Workspace, publish: PublishFn, authorize_get: Any, status: int
) -> None:
    url = publish(status=status)

    assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.BAD_REQUEST
    assert cimd_rows(cimd_workspace, url) == []
    event = _refusal(cimd_workspace)
    assert event.rule == "cimd.fetch"
    assert f"HTTP {status}" in event.description


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_s4_redirects_are_not_followed(
    cimd_workspace: Workspace,
    publish: PublishFn,
    doc_server: DocumentServer,
    authorize_get: Any,
    status: int,
) -> None:
    target = publish()
    url = publish(lambda url: public_document(url), status=status, headers={"Location": target})

    assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.BAD_REQUEST
    assert doc_server.hits(target) == 0
    assert "redirects are not followed" in _refusal(cimd_workspace).description


def test_s6_6_a_document_over_the_size_cap_is_refused(
    cimd_workspace: Workspace, publish: PublishFn, authorize_get: Any, settings: Any
) -> None:
    settings.DCR_CIMD_MAX_DOCUMENT_BYTES = 1024
    url = publish(lambda url: public_document(url, client_name="x" * 1100))

    assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.BAD_REQUEST
    assert "larger than 1024 bytes" in _refusal(cimd_workspace).description


def test_s6_6_the_default_cap_is_5_kilobytes(
    cimd_workspace: Workspace, publish: PublishFn, authorize_get: Any
) -> None:
    small = publish(lambda url: public_document(url, client_name="x" * 60))
    large = publish(lambda url: public_document(url, contacts=["a@example.com"] * 400))

    assert authorize_get(cimd_workspace, small).status_code == HTTPStatus.OK
    assert authorize_get(cimd_workspace, large).status_code == HTTPStatus.BAD_REQUEST
    assert "larger than 5120 bytes" in _refusal(cimd_workspace).description


def test_s6_5_special_use_addresses_are_refused_without_the_lab_setting(
    cimd_workspace: Workspace,
    publish: PublishFn,
    doc_server: DocumentServer,
    authorize_get: Any,
    settings: Any,
) -> None:
    settings.DCR_FETCH_ALLOW_PRIVATE_ADDRESSES = False
    url = publish()  # https://localhost:PORT/...: loopback

    assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.BAD_REQUEST
    assert doc_server.hits(url) == 0
    assert "private or special-use" in _refusal(cimd_workspace).description


def test_tls_is_verified_against_the_ssl_cert_file_trust_store(
    cimd_workspace: Workspace,
    publish: PublishFn,
    authorize_get: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    other_ca, _key = localhost_certificate(tmp_path)  # a CA that did not sign the server's
    monkeypatch.setenv("SSL_CERT_FILE", str(other_ca))
    url = publish()

    assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.BAD_REQUEST
    assert "TLS" in _refusal(cimd_workspace).description


def test_a_slow_document_host_times_out(
    cimd_workspace: Workspace, publish: PublishFn, authorize_get: Any, settings: Any
) -> None:
    settings.DCR_CIMD_FETCH_TIMEOUT_SECONDS = 1
    url = publish(delay=2.5)

    assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.BAD_REQUEST
    assert "timed out" in _refusal(cimd_workspace).description
