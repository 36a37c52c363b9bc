"""The policy ``hook``: a custom rule run last with keyword arguments only (STYLE.md: no
positional, untyped hook arguments); it adjusts, refuses with its own error, or fails closed."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import pytest

from registration.errors import AccessDenied, InvalidClientMetadata, RegistrationError
from registration.policy import (
    HookContext,
    PolicyContext,
    PolicyError,
    evaluate_policy,
    load_hook,
    parse_policy,
    run_hook,
)
from tests.policy import example_hooks

HOOKS = "tests.policy.example_hooks"
METADATA: dict[str, Any] = {
    "grant_types": ["authorization_code"],
    "response_types": ["code"],
    "redirect_uris": ["https://app.example.com/cb"],
    "token_endpoint_auth_method": "client_secret_basic",
    "scope": "openid profile",
    "client_name": "Acme Notes",
}
HOOK_CONTEXT = HookContext(
    workspace_label="default/default",
    source_ip="203.0.113.7",
    user_agent="curl/8",
    is_update=False,
    software_statement_issuer=None,
)


def evaluate(hook: str, metadata: dict[str, Any] | None = None, **policy: Any) -> dict[str, Any]:
    context = PolicyContext(
        source_ip="203.0.113.7",
        software_statement_issuer="https://directory.example",
        count_clients=lambda: 0,
        count_clients_with_software_id=lambda _software_id: 0,
        is_update=True,
        workspace_label="acme/prod",
        user_agent="acme-cli/1.2",
    )
    document = {**policy, "hook": f"{HOOKS}.{hook}"}
    return evaluate_policy(
        parse_policy(document), metadata=metadata or dict(METADATA), context=context
    )


@pytest.fixture(autouse=True)
def _clear_calls() -> None:
    example_hooks.CALLS.clear()


# --- adjusting -------------------------------------------------------------------------------


def test_hook_adjusts_the_metadata_contract_hook() -> None:
    result = evaluate("add_contact")
    assert result == {**METADATA, "contacts": ["owners@acme/prod.test"]}


@pytest.mark.parametrize("hook", ["no_change", "mutate_and_return_none"])
def test_hook_returning_none_changes_nothing_contract_hook(hook: str) -> None:
    assert evaluate(hook) == METADATA


def test_hook_gets_keyword_arguments_a_copy_and_a_typed_context_style_no_positional_hooks() -> None:
    metadata = dict(METADATA)
    result = evaluate("record", metadata)
    [call] = example_hooks.CALLS
    assert call["context"] == HookContext(
        workspace_label="acme/prod",
        source_ip="203.0.113.7",
        user_agent="acme-cli/1.2",
        is_update=True,
        software_statement_issuer="https://directory.example",
    )
    assert call["metadata"]["contacts"] == ["mutated@example.com"]  # its own copy
    assert "contacts" not in metadata
    assert "contacts" not in result


@pytest.mark.parametrize(
    ("hook", "version"),
    [("positional", "checked-True"), ("swapped_positional", "bound-by-name")],
)
def test_positionally_declared_hooks_bind_by_name_style_no_positional_hooks(
    hook: str, version: str
) -> None:
    """``def h(context, metadata)`` (or even ``(metadata, context)``) receives keywords."""
    assert evaluate(hook)["software_version"] == version


def test_hook_runs_after_every_declarative_rule_contract_hook() -> None:
    """A declarative refusal wins: the hook is not even called."""
    with pytest.raises(InvalidClientMetadata) as excinfo:
        evaluate("record", grant_types={"allow": ["client_credentials"]})
    assert excinfo.value.rule == "grant_types"
    assert example_hooks.CALLS == []


def test_hook_sees_the_narrowed_metadata_contract_hook() -> None:
    evaluate("record", scopes={"allow": ["openid"]})
    assert example_hooks.CALLS[0]["metadata"]["scope"] == "openid"


def test_hook_cannot_widen_past_the_declarative_policy_contract_final_metadata() -> None:
    """The hook's result is the final metadata, so the declarative rules judge it again."""
    assert evaluate("add_admin_scope", scopes={"allow": ["openid"]})["scope"] == "openid"
    with pytest.raises(InvalidClientMetadata) as excinfo:
        evaluate("rename_official", client_name={"forbidden_words": ["official"]})
    assert excinfo.value.rule == "client_name"
    metadata = {**METADATA, "contacts": ["ops@acme.example"]}
    with pytest.raises(InvalidClientMetadata) as excinfo:
        evaluate("drop_contacts", metadata, required_fields=["contacts"])
    assert excinfo.value.rule == "required_fields"


# --- refusing --------------------------------------------------------------------------------


def test_hook_refuses_with_its_own_error_and_rule_hook_contract_hook() -> None:
    with pytest.raises(InvalidClientMetadata) as excinfo:
        evaluate("refuse_partner", {**METADATA, "client_name": "Partner Portal"})
    assert excinfo.value.status == HTTPStatus.BAD_REQUEST
    assert excinfo.value.description == "client_name: partner clients need a contract"
    assert excinfo.value.rule == "hook"
    assert evaluate("refuse_partner") == METADATA


def test_hook_error_keeps_its_own_rule_contract_hook() -> None:
    with pytest.raises(AccessDenied) as excinfo:
        evaluate("refuse_with_rule")
    assert excinfo.value.rule == "custom_calendar"


@pytest.mark.parametrize("hook", ["crash", "wrong_return_type", "true_instead_of_none"])
def test_broken_hook_fails_closed_without_leaking_contract_hook(
    hook: str, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(AccessDenied) as excinfo:
        evaluate(hook)
    error = excinfo.value
    assert error.status == HTTPStatus.FORBIDDEN
    assert error.error == "access_denied"
    assert error.rule == "hook"
    assert error.description.startswith("policy hook: ")
    assert "hunter2" not in error.description
    assert "10.0.0.5" not in error.description
    assert any(HOOKS in record.getMessage() for record in caplog.records)  # for the operator


@pytest.mark.parametrize(
    "path",
    [
        f"{HOOKS}.no_such_function",
        f"{HOOKS}.NOT_CALLABLE",
        "tests.policy.no_such_module.hook",
        "no_such_package_xyz.module.hook",
    ],
)
def test_unloadable_hook_fails_closed_at_registration_contract_hook(path: str) -> None:
    with pytest.raises(AccessDenied) as excinfo:
        run_hook(path, context=HOOK_CONTEXT, metadata=dict(METADATA))
    assert excinfo.value.rule == "hook"


# --- load_hook -------------------------------------------------------------------------------


def test_load_hook_returns_the_callable_contract_hook() -> None:
    assert load_hook(f"{HOOKS}.add_contact") is example_hooks.add_contact


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        (f"{HOOKS}.no_such_function", "has no attribute"),
        (f"{HOOKS}.NOT_CALLABLE", "not callable"),
        ("tests.policy.no_such_module.hook", "cannot import"),
        ("no_such_package_xyz.module.hook", "not under DCR_POLICY_HOOK_MODULES"),
        ("hook", "dotted"),
    ],
)
def test_load_hook_refuses_missing_or_uncallable_contract_hook(path: str, reason: str) -> None:
    with pytest.raises(PolicyError) as excinfo:
        load_hook(path)
    assert str(excinfo.value).startswith("hook: ")
    assert reason in str(excinfo.value)


def test_load_hook_reports_a_module_that_fails_to_import_contract_hook(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(name: str) -> object:
        raise RuntimeError("boom while importing")

    monkeypatch.setattr("registration.policy.hook.importlib.import_module", broken)
    with pytest.raises(PolicyError, match=r"^hook: importing module .* failed: RuntimeError$"):
        load_hook("tests.policy.some_module.fn")


def test_run_hook_returns_a_copy_of_the_hooks_dict_contract_hook() -> None:
    metadata = dict(METADATA)
    result = run_hook(f"{HOOKS}.add_contact", context=HOOK_CONTEXT, metadata=metadata)
    assert result["contacts"] == ["owners@default/default.test"]
    assert "contacts" not in metadata


def test_hook_errors_are_registration_errors_contract_hook() -> None:
    with pytest.raises(RegistrationError):
        run_hook(f"{HOOKS}.crash", context=HOOK_CONTEXT, metadata=dict(METADATA))
