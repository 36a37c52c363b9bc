"""Subject identifiers per workspace (issue 14, finding 11; OpenID Connect Core §8): one user
has a different ``sub`` in every workspace, stable within it; pairwise per sector (§8.1) is a
per-workspace option; the ID token never carries the database id."""

from __future__ import annotations

from typing import Any

import jwt

from dcr_server.oauth.subjects import subject_for
from registration.models import Client
from tenants.models import Workspace
from tests.oauth.conftest import exchange


def _client(workspace: Workspace, *, redirect: str, sector: str | None = None) -> Client:
    metadata = {"sector_identifier_uri": sector} if sector else {}
    return Client(workspace=workspace, client_id="c", redirect_uris=redirect, metadata=metadata)


def test_oidc_core_8_one_user_has_a_different_sub_in_each_workspace(
    workspace: Workspace, other_workspace: Workspace
) -> None:
    here = subject_for(workspace=workspace, user_pk=7, client=None)
    there = subject_for(workspace=other_workspace, user_pk=7, client=None)

    assert here != there
    assert here == subject_for(workspace=workspace, user_pk=7, client=None)  # stable
    assert here != subject_for(workspace=workspace, user_pk=8, client=None)
    assert here != "7" and len(here) == 43


def test_oidc_core_8_public_sub_is_the_same_for_every_client_of_a_workspace(
    workspace: Workspace,
) -> None:
    a = _client(workspace, redirect="https://a.example/cb")
    b = _client(workspace, redirect="https://b.example/cb")

    assert subject_for(workspace=workspace, user_pk=7, client=a) == subject_for(
        workspace=workspace, user_pk=7, client=b
    )


def test_oidc_core_8_1_pairwise_sub_differs_per_sector(workspace: Workspace) -> None:
    workspace.subject_type = "pairwise"
    a = _client(workspace, redirect="https://a.example/cb")
    a_other_path = _client(workspace, redirect="https://a.example/other")
    b = _client(workspace, redirect="https://b.example/cb")
    sector_a = _client(
        workspace, redirect="https://b.example/cb", sector="https://a.example/s.json"
    )

    sub = subject_for(workspace=workspace, user_pk=7, client=a)

    assert sub != subject_for(workspace=workspace, user_pk=7, client=b)
    assert sub == subject_for(workspace=workspace, user_pk=7, client=a_other_path)
    assert sub == subject_for(workspace=workspace, user_pk=7, client=sector_a)


def test_each_workspace_gets_its_own_subject_secret(
    workspace: Workspace, other_workspace: Workspace
) -> None:
    assert workspace.subject_salt and other_workspace.subject_salt
    assert workspace.subject_salt != other_workspace.subject_salt


def test_oidc_core_2_the_id_token_sub_is_the_workspace_subject_not_the_user_id(
    obtain_code: Any,
    token_request: Any,
    registered: dict[str, Any],
    user: Any,
    workspace: Workspace,
) -> None:
    code, verifier = obtain_code(registered["client_id"], scope="openid")
    tokens = exchange(token_request, registered, code, verifier).json()

    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})

    assert claims["sub"] == subject_for(workspace=workspace, user_pk=user.pk, client=None)
    assert claims["sub"] != str(user.pk)
