"""One login does not authorize at every workspace (issue 14, finding 11): the login page binds
the sign-in to the workspace of its ``next``; at any other workspace the user signs in again;
consent given in one workspace never counts in another."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as HttpClient
from django.utils import timezone
from oauth2_provider.models import AccessToken, Grant

from registration.models import Client
from tenants.models import Workspace
from tests.helpers import WEB_CLIENT, post_json, sign_in, ws_url
from tests.oauth.conftest import REDIRECT_URI, pkce_pair

PASSWORD = "correct horse 42"


@pytest.fixture
def alice(db: None) -> Any:
    return get_user_model().objects.create_user(username="alice", password=PASSWORD)


def _client_of(workspace: Workspace) -> str:
    response = post_json(HttpClient(), ws_url(workspace, "/oauth2/register"), WEB_CLIENT)
    assert response.status_code == HTTPStatus.CREATED, response.content
    return str(response.json()["client_id"])


def _authorize_url(workspace: Workspace, client_id: str) -> str:
    _, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid",
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return ws_url(workspace, "/oauth2/authorize") + "?" + urlencode(params)


def _log_in_through_the_page(browser: HttpClient, next_url: str) -> None:
    response = browser.post(
        "/accounts/login/?" + urlencode({"next": next_url}),
        {"username": "alice", "password": PASSWORD},
    )
    assert response.status_code == HTTPStatus.FOUND, response.content
    assert response["Location"] == next_url


def _is_consent_page(response: Any) -> bool:
    return response.status_code == HTTPStatus.OK and b'name="allow"' in response.content


def _is_login_redirect(response: Any) -> bool:
    return response.status_code == HTTPStatus.FOUND and response["Location"].startswith(
        "/accounts/login/?next="
    )


def test_a_login_at_one_workspace_does_not_authorize_at_another(
    workspace: Workspace, other_workspace: Workspace, alice: Any
) -> None:
    here, there = _client_of(workspace), _client_of(other_workspace)
    browser = HttpClient()
    _log_in_through_the_page(browser, _authorize_url(workspace, here))

    at_home = browser.get(_authorize_url(workspace, here))
    elsewhere = browser.get(_authorize_url(other_workspace, there))

    assert _is_consent_page(at_home)
    assert _is_login_redirect(elsewhere)
    assert "/acme/prod/oauth2/authorize" in elsewhere["Location"].replace("%2F", "/")
    assert not Grant.objects.exists()


def test_signing_in_at_the_second_workspace_keeps_the_first(
    workspace: Workspace, other_workspace: Workspace, alice: Any
) -> None:
    here, there = _client_of(workspace), _client_of(other_workspace)
    browser = HttpClient()
    _log_in_through_the_page(browser, _authorize_url(workspace, here))
    _log_in_through_the_page(browser, _authorize_url(other_workspace, there))

    assert _is_consent_page(browser.get(_authorize_url(other_workspace, there)))
    assert _is_consent_page(browser.get(_authorize_url(workspace, here)))


def test_a_login_not_made_for_a_workspace_does_not_authorize(
    workspace: Workspace, alice: Any
) -> None:
    """A sign-in at the admin (or any page whose next names no workspace) is no workspace's."""
    browser = HttpClient()
    browser.force_login(alice)

    assert _is_login_redirect(browser.get(_authorize_url(workspace, _client_of(workspace))))


def test_consent_given_in_one_workspace_never_counts_in_another(
    workspace: Workspace, other_workspace: Workspace, alice: Any
) -> None:
    here, there = _client_of(workspace), _client_of(other_workspace)
    browser = HttpClient()
    sign_in(browser, alice, workspace, other_workspace)
    # Approval remembered at ``workspace`` (DOT's "auto" prompt: an unexpired token).
    AccessToken.objects.create(
        user=alice,
        application=Client.objects.get(client_id=here),
        token="t-" + "x" * 40,
        expires=timezone.now() + timedelta(hours=1),
        scope="openid",
    )

    remembered = browser.get(_authorize_url(workspace, here))
    elsewhere = browser.get(_authorize_url(other_workspace, there))

    assert remembered.status_code == HTTPStatus.FOUND  # no consent page: approved before
    assert remembered["Location"].startswith(REDIRECT_URI)
    assert _is_consent_page(elsewhere)
