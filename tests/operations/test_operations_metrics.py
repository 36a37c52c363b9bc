"""GET /metrics (CONTRACT "Operations"): who may scrape, and counters that move by exactly one."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import pytest
from django.test import Client as HttpClient

from operations import labels
from registration.configuration import PolicyChange, SettingsChange, dcr_configure
from registration.models import Client
from tenants.models import Workspace
from tests.helpers import SERVICE_CLIENT, WEB_CLIENT, basic, post_json

REGISTER = "/default/default/oauth2/register"
TOKEN = "/default/default/oauth2/token"
WS = "default/default"

# on_commit callbacks run only when a transaction really commits.
pytestmark = pytest.mark.django_db(transaction=True)


def test_metrics_answer_a_loopback_peer_in_prometheus_text(workspace: Workspace) -> None:
    response = HttpClient(REMOTE_ADDR="127.0.0.1").get("/metrics")

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/plain; version=")
    assert response["Cache-Control"] == "no-store"
    text = response.content.decode()
    for name in (
        "dcr_registrations_total",
        "dcr_registration_refusals_total",
        "dcr_tokens_issued_total",
        "dcr_http_request_duration_seconds",
    ):
        assert f"# TYPE {name.removesuffix('_total')}" in text


@pytest.mark.parametrize("peer", ["203.0.113.7", "10.0.0.1", "2001:db8::1", "::ffff:192.0.2.1"])
def test_metrics_are_404_outside_the_allowed_networks(workspace: Workspace, peer: str) -> None:
    response = HttpClient(REMOTE_ADDR=peer).get("/metrics")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["error"] == "not_found"
    assert b"dcr_" not in response.content


def test_metrics_ignore_x_forwarded_for(workspace: Workspace) -> None:
    outsider = HttpClient(REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="127.0.0.1")
    insider = HttpClient(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")

    assert outsider.get("/metrics").status_code == HTTPStatus.NOT_FOUND
    assert insider.get("/metrics").status_code == HTTPStatus.OK


def test_metrics_allowed_networks_come_from_the_setting(
    settings: Any, workspace: Workspace
) -> None:
    settings.DCR_METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]

    assert HttpClient(REMOTE_ADDR="10.9.8.7").get("/metrics").status_code == HTTPStatus.OK
    assert HttpClient(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 404
    assert HttpClient(REMOTE_ADDR="::ffff:10.1.1.1").get("/metrics").status_code == 200


def test_a_registration_counts_once(api: HttpClient, workspace: Workspace, metric: Any) -> None:
    before = metric("dcr_registrations_total", workspace=WS, outcome="ok")

    assert post_json(api, REGISTER, WEB_CLIENT).status_code == HTTPStatus.CREATED

    assert metric("dcr_registrations_total", workspace=WS, outcome="ok") == before + 1


def test_a_policy_refusal_counts_once_by_outcome_and_rule(
    api: HttpClient, workspace: Workspace, metric: Any
) -> None:
    policy = {"redirect_uris": {"allowed_hosts": ["*.example.org"]}}
    dcr_configure(workspace=workspace, change=SettingsChange(policy=PolicyChange(policy)))
    outcome = {"workspace": WS, "outcome": "invalid_redirect_uri"}
    before = metric("dcr_registrations_total", **outcome)
    refusals = metric("dcr_registration_refusals_total", workspace=WS, rule="redirect_uris")
    ok = metric("dcr_registrations_total", workspace=WS, outcome="ok")

    response = post_json(api, REGISTER, WEB_CLIENT)  # app.example.com is not allowed

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not Client.objects.exists()
    assert metric("dcr_registrations_total", **outcome) == before + 1
    assert (
        metric("dcr_registration_refusals_total", workspace=WS, rule="redirect_uris")
        == refusals + 1
    )
    assert metric("dcr_registrations_total", workspace=WS, outcome="ok") == ok


def test_a_token_counts_once_by_grant_type(
    api: HttpClient, workspace: Workspace, metric: Any
) -> None:
    client = post_json(api, REGISTER, SERVICE_CLIENT).json()
    before = metric("dcr_tokens_issued_total", workspace=WS, grant_type="client_credentials")

    response = api.post(
        TOKEN,
        {"grant_type": "client_credentials"},
        **basic(client["client_id"], client["client_secret"]),
    )
    refused = api.post(
        TOKEN, {"grant_type": "client_credentials"}, **basic(client["client_id"], "wrong")
    )

    assert response.status_code == HTTPStatus.OK
    assert refused.status_code == HTTPStatus.UNAUTHORIZED
    after = metric("dcr_tokens_issued_total", workspace=WS, grant_type="client_credentials")
    assert after == before + 1


def test_management_requests_count_by_operation_and_outcome(
    api: HttpClient, workspace: Workspace, metric: Any
) -> None:
    created = post_json(api, REGISTER, WEB_CLIENT).json()
    uri = f"{REGISTER}/{created['client_id']}"
    read_ok = {"workspace": WS, "operation": "read", "outcome": "ok"}
    read_refused = {"workspace": WS, "operation": "read", "outcome": "invalid_token"}
    before_ok = metric("dcr_client_management_total", **read_ok)
    before_refused = metric("dcr_client_management_total", **read_refused)

    api.get(uri, HTTP_AUTHORIZATION=f"Bearer {created['registration_access_token']}")
    api.get(uri, HTTP_AUTHORIZATION="Bearer not-the-token")

    assert metric("dcr_client_management_total", **read_ok) == before_ok + 1
    assert metric("dcr_client_management_total", **read_refused) == before_refused + 1


def test_rate_limit_refusals_count_by_rule(
    api: HttpClient, workspace: Workspace, metric: Any
) -> None:
    from django.core.cache import cache

    cache.clear()
    policy = {"rate_limit": {"registrations_per_minute_per_ip": 1}}
    dcr_configure(workspace=workspace, change=SettingsChange(policy=PolicyChange(policy)))
    before = metric("dcr_rate_limited_total", workspace=WS, rule="rate_limit")

    statuses = [post_json(api, REGISTER, SERVICE_CLIENT).status_code for _ in range(3)]

    assert statuses == [HTTPStatus.CREATED, HTTPStatus.TOO_MANY_REQUESTS, 429]
    assert metric("dcr_rate_limited_total", workspace=WS, rule="rate_limit") == before + 2
    cache.clear()


def test_request_duration_is_labelled_by_url_pattern_never_the_raw_path(
    api: HttpClient, workspace: Workspace, metric: Any
) -> None:
    created = post_json(api, REGISTER, WEB_CLIENT).json()
    labels_seen = {"view": "client-configuration", "method": "GET", "status": "401"}
    before = metric("dcr_http_request_duration_seconds_count", **labels_seen)

    api.get(f"{REGISTER}/{created['client_id']}", HTTP_AUTHORIZATION="Bearer wrong")
    api.get("/no/such/path/at/all")

    assert metric("dcr_http_request_duration_seconds_count", **labels_seen) == before + 1
    scrape = HttpClient(REMOTE_ADDR="127.0.0.1").get("/metrics").content.decode()
    assert created["client_id"] not in scrape
    assert "/no/such/path" not in scrape
    assert 'view="unmatched"' in scrape


def test_label_values_are_bounded() -> None:
    assert labels.rule("redirect_uris") == "redirect_uris"
    assert labels.rule("https://evil.example/x") == "other"
    assert labels.rule("A" * 10) == "other"
    assert labels.rule("") == "none"
    assert labels.outcome("made_up_error") == "other"
    assert labels.grant_type("urn:example:custom") == "other"
    assert labels.method("BREW") == "other"
    assert labels.workspace(None) == "unknown"
    assert labels.keyset_kind("ws3:software_statement") == "software_statement"
    assert labels.keyset_kind("client9:jwks") == "client_jwks"


def test_a_database_outage_answered_503_counts_once(
    api: HttpClient, workspace: Workspace, metric: Any, monkeypatch: Any
) -> None:
    from django.db import OperationalError

    from registration import services

    def down(**kwargs: Any) -> Any:
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(services, "client_register", down)
    before = metric("dcr_database_unavailable_total")

    response = post_json(api, REGISTER, SERVICE_CLIENT)

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert metric("dcr_database_unavailable_total") == before + 1


def test_cimd_fetches_count_by_bounded_outcome(workspace: Workspace, metric: Any) -> None:
    from operations import metrics

    ok = metric("dcr_cimd_fetches_total", workspace=WS, outcome="ok")
    other = metric("dcr_cimd_fetches_total", workspace=WS, outcome="other")

    metrics.cimd_fetch(outcome="ok", workspace=workspace)
    metrics.cimd_fetch(outcome="https://client.example/doc", workspace=workspace)

    assert metric("dcr_cimd_fetches_total", workspace=WS, outcome="ok") == ok + 1
    assert metric("dcr_cimd_fetches_total", workspace=WS, outcome="other") == other + 1
