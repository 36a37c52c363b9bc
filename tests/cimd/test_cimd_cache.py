"""Caching documents (draft -01 §4.4): Cache-Control honoured within the server's bounds, errors
never cached as documents, failures backed off, a stale good copy within a bound, and concurrent
first uses coalesced into one fetch (against a live server)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from http import HTTPStatus
from typing import Any

import pytest
from django.utils import timezone

from registration.configuration import SettingsChange, dcr_configure
from registration.models import AuditEvent, Client
from tenants.models import Workspace
from tenants.resolve import find_workspace
from tenants.services import workspace_create
from tests.cimd.conftest import PublishFn
from tests.cimd.docserver import DocumentServer, Resource
from tests.cimd.helpers import REDIRECT_URI, cimd_rows, public_document


def _expires_in(workspace: Workspace, url: str) -> float:
    (client,) = cimd_rows(workspace, url)
    assert client.cimd_expires_at is not None
    return (client.cimd_expires_at - timezone.now()).total_seconds()


def _expire(workspace: Workspace, url: str, *, ago: int = 1) -> None:
    Client.objects.filter(workspace=workspace, client_id=url).update(
        cimd_expires_at=timezone.now() - timedelta(seconds=ago)
    )


@pytest.mark.parametrize(
    ("cache_control", "low", "high"),
    [
        ("max-age=600", 590, 600),  # honoured
        ("public, max-age=7200, must-revalidate", 7190, 7200),
        ("max-age=5", 290, 300),  # clamped up to DCR_CIMD_MIN_CACHE_SECONDS
        ("max-age=999999999", 86390, 86400),  # clamped down to DCR_CIMD_MAX_CACHE_SECONDS
        ("no-store", 290, 300),  # kept (it is the client's row) for the minimum only
        ("no-cache", 290, 300),
        (None, 3590, 3600),  # no header: DCR_CIMD_DEFAULT_CACHE_SECONDS
    ],
)
def test_s4_4_cache_control_is_honoured_within_the_servers_bounds(
    cimd_workspace: Workspace,
    publish: PublishFn,
    authorize_get: Any,
    cache_control: str | None,
    low: int,
    high: int,
) -> None:
    url = publish(cache_control=cache_control)
    assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.OK
    assert low <= _expires_in(cimd_workspace, url) <= high


def test_s4_4_a_fresh_document_is_not_fetched_again(
    cimd_workspace: Workspace, publish: PublishFn, doc_server: DocumentServer, authorize_get: Any
) -> None:
    url = publish(cache_control="max-age=600")
    for _ in range(3):
        assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.OK
    assert doc_server.hits(url) == 1


def test_a_stale_document_is_fetched_again_and_the_row_updated(
    cimd_workspace: Workspace,
    publish: PublishFn,
    doc_server: DocumentServer,
    authorize_get: Any,
) -> None:
    url = publish()
    assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.OK
    doc_server.publish(url, public_document(url, client_name="Renamed client"))
    _expire(cimd_workspace, url)

    page = authorize_get(cimd_workspace, url)
    assert page.status_code == HTTPStatus.OK
    assert b"Renamed client" in page.content
    assert doc_server.hits(url) == 1  # the new Resource counts from zero
    (client,) = cimd_rows(cimd_workspace, url)
    assert client.name == "Renamed client"
    assert _expires_in(cimd_workspace, url) > 3000
    update = AuditEvent.objects.get(workspace=cimd_workspace, event="update")
    assert (update.client_id, update.description) == (
        url,
        "from its Client ID Metadata Document (changed)",
    )


def test_a_refreshed_document_that_is_now_invalid_refuses_the_client(
    cimd_workspace: Workspace, publish: PublishFn, doc_server: DocumentServer, authorize_get: Any
) -> None:
    url = publish()
    assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.OK
    doc_server.publish(url, public_document(url, token_endpoint_auth_method="client_secret_basic"))
    _expire(cimd_workspace, url)

    # §4.4: an invalid document is never cached, and the old one is not served in its place.
    assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.BAD_REQUEST
    (client,) = cimd_rows(cimd_workspace, url)
    assert client.token_endpoint_auth_method == "none"  # the stored row is not overwritten


def test_s4_4_failures_are_backed_off_and_never_cached_as_success(
    cimd_workspace: Workspace,
    publish: PublishFn,
    resource: Any,
    authorize_get: Any,
    settings: Any,
) -> None:
    settings.DCR_CIMD_FAILURE_BACKOFF_SECONDS = 1
    url = publish(status=500)
    for _ in range(3):
        assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.BAD_REQUEST
    served: Resource = resource(url)
    assert served.hits == 1  # not fetched again within the back-off
    assert cimd_rows(cimd_workspace, url) == []

    served.status = 200
    time.sleep(1.2)  # past the 1-second back-off
    assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.OK
    assert served.hits == 2
    assert len(cimd_rows(cimd_workspace, url)) == 1


@pytest.mark.parametrize("status", [500, 503, 429])
def test_a_stale_good_document_serves_while_its_host_fails_transiently(
    cimd_workspace: Workspace, publish: PublishFn, resource: Any, authorize_get: Any, status: int
) -> None:
    url = publish()
    assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.OK
    resource(url).status = status
    _expire(cimd_workspace, url)

    assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.OK  # stale-if-error
    assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.OK  # backed off, stale
    assert resource(url).hits == 2


def test_the_stale_copy_serves_only_within_its_bound(
    cimd_workspace: Workspace, publish: PublishFn, resource: Any, authorize_get: Any, settings: Any
) -> None:
    settings.DCR_CIMD_STALE_IF_ERROR_SECONDS = 600
    url = publish()
    assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.OK
    resource(url).status = 503
    _expire(cimd_workspace, url, ago=601)

    assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.BAD_REQUEST


@pytest.mark.parametrize("status", [404, 410, 403])
def test_a_withdrawn_document_is_not_served_stale(
    cimd_workspace: Workspace, publish: PublishFn, resource: Any, authorize_get: Any, status: int
) -> None:
    url = publish()
    assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.OK
    resource(url).status = status
    _expire(cimd_workspace, url)

    assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.BAD_REQUEST


# -- coalescing, against a live server -----------------------------------------------------------


def _post_form(url: str, form: dict[str, str]) -> dict[str, Any]:
    data = urllib.parse.urlencode(form).encode()
    try:
        with urllib.request.urlopen(url, data=data, timeout=30) as response:
            body: dict[str, Any] = json.load(response)
    except urllib.error.HTTPError as error:
        body = json.load(error)
    return body


@pytest.mark.django_db(transaction=True)
def test_parallel_first_uses_of_one_url_make_one_fetch(
    live_server: Any, doc_server: DocumentServer, publish: PublishFn
) -> None:
    # Transactional tests flush the database afterwards: default/default is made when missing.
    workspace = find_workspace("default", "default") or workspace_create(
        tenant_slug="default", workspace_slug="default"
    )
    dcr_configure(workspace=workspace, change=SettingsChange(cimd_enabled=True))
    url = publish(delay=0.5)  # every parallel request arrives while the first fetch runs
    token_url = f"{live_server.url}/default/default/oauth2/token"
    form = {
        "grant_type": "authorization_code",
        "code": "not-a-code",
        "redirect_uri": REDIRECT_URI,
        "code_verifier": "v" * 43,
        "client_id": url,
    }

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: _post_form(token_url, form), range(8)))

    # The client was known to every request (invalid_grant, not invalid_client) ...
    assert [answer["error"] for answer in answers] == ["invalid_grant"] * 8
    # ... after a single fetch, and a single row.
    assert doc_server.hits(url) == 1
    assert len(cimd_rows(workspace, url)) == 1
    assert AuditEvent.objects.filter(workspace=workspace, event="register").count() == 1


def test_a_busy_server_refuses_without_backing_the_url_off(
    cimd_workspace: Workspace,
    publish: PublishFn,
    resource: Any,
    authorize_get: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from registration.cimd import fetching

    url = publish()
    with monkeypatch.context() as patch:
        patch.setattr(fetching, "_take_slot", lambda: False)  # every fetch slot in use
        assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.BAD_REQUEST
    assert resource(url).hits == 0

    assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.OK  # not backed off
    assert resource(url).hits == 1
