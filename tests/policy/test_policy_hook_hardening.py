"""Policy hooks only from allow-listed modules, their results validated (issue 14, finding 8):
a hook outside ``DCR_POLICY_HOOK_MODULES`` is refused when the policy is saved, naming ``hook``,
without importing anything; a hook's bad result is 400 naming the rule, never a 500."""

from __future__ import annotations

import sys
from http import HTTPStatus
from typing import Any

import pytest
from django.test import Client as HttpClient

from registration.configuration import ConfigurationError, check_policy_document
from registration.models import AuditEvent, Client, DCRSettings
from tenants.models import Workspace
from tests.helpers import SERVICE_CLIENT, post_json

REGISTER = "/default/default/oauth2/register"
HOOKS = "tests.policy.example_hooks"


def test_a_hook_outside_the_allow_list_is_refused_when_saved_and_never_imported(
    settings: Any,
) -> None:
    settings.DCR_POLICY_HOOK_MODULES = ["tests.policy"]
    assert "xmlrpc.server" not in sys.modules

    with pytest.raises(ConfigurationError) as refused:
        check_policy_document({"hook": "xmlrpc.server.resolve_dotted_attribute"})

    assert "hook" in str(refused.value)
    assert "DCR_POLICY_HOOK_MODULES" in str(refused.value)
    assert "xmlrpc.server" not in sys.modules


def test_no_hook_is_allowed_by_default(settings: Any) -> None:
    settings.DCR_POLICY_HOOK_MODULES = []

    with pytest.raises(ConfigurationError, match="hook"):
        check_policy_document({"hook": f"{HOOKS}.add_contact"})


@pytest.mark.parametrize(
    "prefix", ["tests.pol", "tests.policy.example"], ids=["partial-component", "longer-name"]
)
def test_prefixes_match_whole_module_components(settings: Any, prefix: str) -> None:
    settings.DCR_POLICY_HOOK_MODULES = [prefix]

    with pytest.raises(ConfigurationError, match="DCR_POLICY_HOOK_MODULES"):
        check_policy_document({"hook": f"{HOOKS}.add_contact"})


def test_an_allow_listed_hook_is_accepted(settings: Any) -> None:
    settings.DCR_POLICY_HOOK_MODULES = [HOOKS]

    assert check_policy_document({"hook": f"{HOOKS}.add_contact"}) == {
        "hook": f"{HOOKS}.add_contact"
    }


def test_a_hook_allowed_when_saved_but_removed_from_the_list_since_fails_closed(
    workspace: Workspace, settings: Any
) -> None:
    DCRSettings.objects.filter(workspace=workspace).update(policy={"hook": f"{HOOKS}.add_contact"})
    settings.DCR_POLICY_HOOK_MODULES = ["somewhere.else"]

    response = post_json(HttpClient(), REGISTER, SERVICE_CLIENT)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["error"] == "access_denied"
    assert not Client.objects.exists()


@pytest.mark.parametrize("hook", ["incomplete", "wrong_types", "drop_grant_types"])
def test_a_hooks_invalid_result_is_400_naming_the_hook_never_500(
    workspace: Workspace, hook: str
) -> None:
    DCRSettings.objects.filter(workspace=workspace).update(policy={"hook": f"{HOOKS}.{hook}"})
    api = HttpClient(raise_request_exception=False)

    response = post_json(api, REGISTER, SERVICE_CLIENT)

    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    body = response.json()
    assert body["error"] in ("invalid_client_metadata", "invalid_redirect_uri")
    assert "hook" in body["error_description"]
    assert not Client.objects.exists()
    assert AuditEvent.objects.get(event="refused").rule == "hook"
