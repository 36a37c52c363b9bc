"""evaluate_policy: each rule of CONTRACT.md "The DCR policy document" passes, refuses (status,
error code, rule, description naming the key) and is not skipped when the client omits a field."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import pytest

from registration.errors import (
    AccessDenied,
    InvalidClientMetadata,
    InvalidRedirectURI,
    RegistrationError,
    UnapprovedSoftwareStatement,
)
from registration.metadata import ServerCapabilities, validate_client_metadata
from registration.policy import PolicyContext, evaluate_policy, parse_policy

CAPABILITIES = ServerCapabilities(
    scopes_supported=frozenset({"openid", "profile", "email", "offline_access", "admin"}),
    default_scopes=("openid", "profile", "email"),
    grant_types_supported=frozenset(
        {"authorization_code", "refresh_token", "client_credentials", "implicit"}
    ),
    response_types_supported=frozenset({"code", "token", "id_token", "code id_token"}),
    token_endpoint_auth_methods_supported=frozenset(
        {"none", "client_secret_basic", "client_secret_post", "private_key_jwt"}
    ),
)
WEB = {"redirect_uris": ["https://app.example.com/cb"]}
SERVICE = {"grant_types": ["client_credentials"]}


def normalized(**raw: Any) -> dict[str, Any]:
    """What the metadata validator hands to the policy (defaults filled in)."""
    return validate_client_metadata(raw, capabilities=CAPABILITIES)


def never_called(*_args: object) -> int:
    raise AssertionError("counter called although no rule needs it")


def context(**overrides: Any) -> PolicyContext:
    values: dict[str, Any] = {
        "source_ip": "203.0.113.7",
        "software_statement_issuer": None,
        "count_clients": lambda: 0,
        "count_clients_with_software_id": lambda _software_id: 0,
    }
    values.update(overrides)
    return PolicyContext(**values)


def evaluate(document: dict[str, Any], metadata: dict[str, Any], **ctx: Any) -> dict[str, Any]:
    return evaluate_policy(parse_policy(document), metadata=metadata, context=context(**ctx))


def refusal(document: dict[str, Any], metadata: dict[str, Any], **ctx: Any) -> RegistrationError:
    with pytest.raises(RegistrationError) as excinfo:
        evaluate(document, metadata, **ctx)
    return excinfo.value


# --- every refusal: status, error code, rule and the key in the description ------------------

REFUSALS: list[Any] = [
    pytest.param(
        {"grant_types": {"allow": ["authorization_code"]}},
        normalized(**SERVICE),
        {},
        (InvalidClientMetadata, HTTPStatus.BAD_REQUEST, "grant_types", "grant_types.allow"),
        id="grant_types",
    ),
    pytest.param(
        {"response_types": {"allow": ["code"]}},
        normalized(
            grant_types=["authorization_code", "implicit"],
            response_types=["code", "token"],
            **WEB,
        ),
        {},
        (InvalidClientMetadata, HTTPStatus.BAD_REQUEST, "response_types", "response_types.allow"),
        id="response_types",
    ),
    pytest.param(
        {"token_endpoint_auth_methods": {"allow": ["private_key_jwt"]}},
        normalized(token_endpoint_auth_method="client_secret_post", **WEB),
        {},
        (
            InvalidClientMetadata,
            HTTPStatus.BAD_REQUEST,
            "token_endpoint_auth_methods",
            "token_endpoint_auth_methods.allow",
        ),
        id="token_endpoint_auth_methods",
    ),
    pytest.param(
        {"scopes": {"allow": ["openid"], "on_violation": "reject"}},
        normalized(scope="openid admin", **WEB),
        {},
        (InvalidClientMetadata, HTTPStatus.BAD_REQUEST, "scopes", "scopes.allow"),
        id="scopes-reject",
    ),
    pytest.param(
        {"redirect_uris": {"allowed_hosts": ["app.example.com"]}},
        normalized(redirect_uris=["https://evil.example/cb"]),
        {},
        (
            InvalidRedirectURI,
            HTTPStatus.BAD_REQUEST,
            "redirect_uris",
            "redirect_uris.allowed_hosts",
        ),
        id="redirect_uris.allowed_hosts",
    ),
    pytest.param(
        {"redirect_uris": {"require_https": True}},
        normalized(application_type="native", redirect_uris=["http://127.0.0.1:8080/cb"]),
        {},
        (
            InvalidRedirectURI,
            HTTPStatus.BAD_REQUEST,
            "redirect_uris",
            "redirect_uris.require_https",
        ),
        id="redirect_uris.require_https",
    ),
    pytest.param(
        {"redirect_uris": {"allow_loopback": False}},
        normalized(application_type="native", redirect_uris=["http://localhost:8080/cb"]),
        {},
        (
            InvalidRedirectURI,
            HTTPStatus.BAD_REQUEST,
            "redirect_uris",
            "redirect_uris.allow_loopback",
        ),
        id="redirect_uris.allow_loopback",
    ),
    pytest.param(
        {"uris_share_host_with_redirect_uris": True},
        normalized(logo_uri="https://cdn.elsewhere.example/logo.png", **WEB),
        {},
        (
            InvalidClientMetadata,
            HTTPStatus.BAD_REQUEST,
            "uris_share_host_with_redirect_uris",
            "uris_share_host_with_redirect_uris",
        ),
        id="uris_share_host_with_redirect_uris",
    ),
    pytest.param(
        {"required_fields": ["client_name", "contacts"]},
        normalized(client_name="Acme", **WEB),
        {},
        (InvalidClientMetadata, HTTPStatus.BAD_REQUEST, "required_fields", "required_fields"),
        id="required_fields",
    ),
    pytest.param(
        {"client_name": {"max_length": 8}},
        normalized(client_name="Acme Notes Pro", **WEB),
        {},
        (InvalidClientMetadata, HTTPStatus.BAD_REQUEST, "client_name", "client_name.max_length"),
        id="client_name.max_length",
    ),
    pytest.param(
        {"client_name": {"forbidden_words": ["official"]}},
        normalized(client_name="Official Acme", **WEB),
        {},
        (
            InvalidClientMetadata,
            HTTPStatus.BAD_REQUEST,
            "client_name",
            "client_name.forbidden_words",
        ),
        id="client_name.forbidden_words",
    ),
    pytest.param(
        {"software_statement": {"allowed_issuers": ["https://directory.example"]}},
        normalized(**WEB),
        {"software_statement_issuer": "https://rogue.example"},
        (
            UnapprovedSoftwareStatement,
            HTTPStatus.BAD_REQUEST,
            "software_statement",
            "software_statement.allowed_issuers",
        ),
        id="software_statement.allowed_issuers",
    ),
    pytest.param(
        {"software_statement": {"allowed_software_ids": ["4NRB1-0XZABZI9E6-5SM3R"]}},
        normalized(software_id="other-app", **WEB),
        {},
        (
            UnapprovedSoftwareStatement,
            HTTPStatus.BAD_REQUEST,
            "software_statement",
            "software_statement.allowed_software_ids",
        ),
        id="software_statement.allowed_software_ids",
    ),
    pytest.param(
        {"source_ip_ranges": ["203.0.113.0/24"]},
        normalized(**WEB),
        {"source_ip": "198.51.100.1"},
        (AccessDenied, HTTPStatus.FORBIDDEN, "source_ip_ranges", "source_ip_ranges"),
        id="source_ip_ranges",
    ),
    pytest.param(
        {"max_clients": 3},
        normalized(**WEB),
        {"count_clients": lambda: 3},
        (AccessDenied, HTTPStatus.FORBIDDEN, "max_clients", "max_clients"),
        id="max_clients",
    ),
    pytest.param(
        {"max_clients_per_software_id": 2},
        normalized(software_id="acme-notes", **WEB),
        {"count_clients_with_software_id": lambda _software_id: 2},
        (
            InvalidClientMetadata,
            HTTPStatus.BAD_REQUEST,
            "max_clients_per_software_id",
            "max_clients_per_software_id",
        ),
        id="max_clients_per_software_id",
    ),
]


ON_UPDATE = [param for param in REFUSALS if param.id != "max_clients"]
"""Every rule but max_clients (which limits registrations only) also judges updates."""


def _assert_refusal(
    error: RegistrationError, expected: tuple[type[RegistrationError], HTTPStatus, str, str]
) -> None:
    error_class, status, rule, key = expected
    assert type(error) is error_class
    assert error.status == status
    assert error.error == error_class.error
    assert error.rule == rule
    assert error.description.startswith(f"policy {key}: ")


@pytest.mark.parametrize(("document", "metadata", "ctx", "expected"), REFUSALS)
def test_refusal_carries_status_code_rule_and_key_contract_policy_refusals(
    document: dict[str, Any],
    metadata: dict[str, Any],
    ctx: dict[str, Any],
    expected: tuple[type[RegistrationError], HTTPStatus, str, str],
) -> None:
    """CONTRACT "The DCR policy document": the error_description names the key that refused."""
    _assert_refusal(refusal(document, metadata, **ctx), expected)


@pytest.mark.parametrize(("document", "metadata", "ctx", "expected"), ON_UPDATE)
def test_policy_is_evaluated_on_every_update_contract_policy_document(
    document: dict[str, Any],
    metadata: dict[str, Any],
    ctx: dict[str, Any],
    expected: tuple[type[RegistrationError], HTTPStatus, str, str],
) -> None:
    """CONTRACT: "The policy is evaluated on registration and on every update"."""
    _assert_refusal(refusal(document, metadata, is_update=True, **ctx), expected)


@pytest.mark.parametrize(("document", "metadata", "ctx", "expected"), REFUSALS)
def test_same_metadata_passes_without_the_policy_contract_absent_key_sets_no_rule(
    document: dict[str, Any],
    metadata: dict[str, Any],
    ctx: dict[str, Any],
    expected: object,
) -> None:
    assert evaluate({}, metadata, **ctx) == metadata


# --- grant_types / response_types / token_endpoint_auth_methods ------------------------------


def test_grant_types_allowed_pass_contract_allow_lists() -> None:
    metadata = normalized(grant_types=["authorization_code", "refresh_token"], **WEB)
    policy = {"grant_types": {"allow": ["authorization_code", "refresh_token"]}}
    assert evaluate(policy, metadata) == metadata


@pytest.mark.parametrize("metadata", [normalized(**WEB), dict(WEB)], ids=["normalized", "raw"])
def test_grant_types_allow_judges_the_default_rfc7591_2(metadata: dict[str, Any]) -> None:
    """RFC 7591 §2: omitted grant_types default to authorization_code, which the policy judges."""
    error = refusal({"grant_types": {"allow": ["client_credentials"]}}, metadata)
    assert error.rule == "grant_types"
    assert '"authorization_code"' in error.description


def test_grant_type_value_is_named_in_description_contract_allow_lists() -> None:
    error = refusal({"grant_types": {"allow": ["authorization_code"]}}, normalized(**SERVICE))
    assert error.description == (
        'policy grant_types.allow: grant type "client_credentials" is not allowed '
        "(allowed: authorization_code)"
    )


@pytest.mark.parametrize("metadata", [normalized(**WEB), dict(WEB)], ids=["normalized", "raw"])
def test_response_types_allow_judges_the_default_code_rfc7591_2(metadata: dict[str, Any]) -> None:
    error = refusal({"response_types": {"allow": ["token"]}}, metadata)
    assert error.rule == "response_types"
    assert '"code"' in error.description


def test_client_credentials_client_has_no_response_types_to_refuse_contract_defaults() -> None:
    metadata = normalized(**SERVICE)
    assert metadata["response_types"] == []
    assert evaluate({"response_types": {"allow": []}}, metadata) == metadata
    assert evaluate({"response_types": {"allow": ["code"]}}, dict(SERVICE)) == dict(SERVICE)


def test_multi_valued_response_types_compare_without_order_oauth_multiple_response_types_3() -> (
    None
):
    metadata = {
        "grant_types": ["authorization_code", "implicit"],
        "response_types": ["id_token code"],
    }
    assert evaluate({"response_types": {"allow": ["code id_token"]}}, metadata) == metadata


@pytest.mark.parametrize("metadata", [normalized(**WEB), dict(WEB)], ids=["normalized", "raw"])
def test_auth_methods_allow_judges_the_default_client_secret_basic_rfc7591_2(
    metadata: dict[str, Any],
) -> None:
    error = refusal({"token_endpoint_auth_methods": {"allow": ["private_key_jwt"]}}, metadata)
    assert error.rule == "token_endpoint_auth_methods"
    assert '"client_secret_basic"' in error.description


def test_auth_method_allowed_passes_contract_allow_lists() -> None:
    metadata = normalized(token_endpoint_auth_method="none", **WEB)
    assert evaluate({"token_endpoint_auth_methods": {"allow": ["none"]}}, metadata) == metadata


# --- scopes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "on_violation", [{}, {"on_violation": "narrow"}], ids=["default", "narrow"]
)
def test_scopes_narrow_drops_other_scopes_contract_scopes(on_violation: dict[str, str]) -> None:
    document = {"scopes": {"allow": ["openid", "profile"], **on_violation}}
    result = evaluate(document, normalized(scope="email openid admin profile", **WEB))
    assert result["scope"] == "openid profile"


def test_scopes_narrow_to_nothing_removes_scope_contract_scopes() -> None:
    result = evaluate({"scopes": {"allow": ["openid"]}}, normalized(scope="email admin", **WEB))
    assert "scope" not in result


def test_scopes_narrow_applies_to_the_default_scope_contract_scopes() -> None:
    """Omitting scope gives the workspace defaults (openid profile email): still narrowed."""
    metadata = normalized(**WEB)
    assert metadata["scope"] == "openid profile email"
    assert evaluate({"scopes": {"allow": ["openid"]}}, metadata)["scope"] == "openid"


def test_scopes_reject_refuses_and_names_the_scope_contract_scopes() -> None:
    document = {"scopes": {"allow": ["openid", "profile", "email"], "on_violation": "reject"}}
    error = refusal(document, normalized(scope="openid admin", **WEB))
    assert isinstance(error, InvalidClientMetadata)
    assert error.description == 'policy scopes.allow: scope "admin" is not allowed'


def test_scopes_within_allow_pass_unchanged_contract_scopes() -> None:
    metadata = normalized(scope="openid email", **WEB)
    document = {"scopes": {"allow": ["openid", "email"], "on_violation": "reject"}}
    assert evaluate(document, metadata) == metadata


def test_no_scope_passes_reject_contract_scopes() -> None:
    metadata = {"grant_types": ["client_credentials"]}
    assert evaluate({"scopes": {"allow": [], "on_violation": "reject"}}, metadata) == metadata


# --- redirect_uris: require_https, allow_loopback, private-use schemes ------------------------

LOOPBACK_URIS = [
    "http://127.0.0.1:8080/cb",
    "https://127.8.9.10/cb",
    "http://[::1]:8080/cb",
    "http://localhost/cb",
    "https://localhost/cb",
]


@pytest.mark.parametrize("uri", LOOPBACK_URIS)
def test_allow_loopback_false_refuses_loopback_rfc8252_7_3(uri: str) -> None:
    metadata = normalized(application_type="native", redirect_uris=[uri])
    error = refusal({"redirect_uris": {"allow_loopback": False}}, metadata)
    assert isinstance(error, InvalidRedirectURI)
    assert error.description.startswith("policy redirect_uris.allow_loopback: redirect_uris[0]")


@pytest.mark.parametrize("uri", LOOPBACK_URIS)
def test_allow_loopback_true_permits_http_loopback_under_require_https_rfc8252_7_3(
    uri: str,
) -> None:
    metadata = normalized(application_type="native", redirect_uris=[uri])
    document = {
        "redirect_uris": {
            "allowed_hosts": ["app.example.com"],
            "require_https": True,
            "allow_loopback": True,
        }
    }
    assert evaluate(document, metadata) == metadata


@pytest.mark.parametrize("uri", ["http://127.0.0.1:8080/cb", "http://localhost/cb"])
def test_require_https_without_allow_loopback_refuses_http_loopback_contract_redirect_uris(
    uri: str,
) -> None:
    metadata = normalized(application_type="native", redirect_uris=[uri])
    error = refusal({"redirect_uris": {"require_https": True}}, metadata)
    assert error.description.startswith("policy redirect_uris.require_https: ")


@pytest.mark.parametrize("allow_loopback", [True, False])
def test_require_https_refuses_private_use_scheme_rfc8252_7_1(allow_loopback: bool) -> None:
    metadata = normalized(application_type="native", redirect_uris=["com.example.app:/cb"])
    document = {"redirect_uris": {"require_https": True, "allow_loopback": allow_loopback}}
    error = refusal(document, metadata)
    assert isinstance(error, InvalidRedirectURI)
    assert error.description.startswith("policy redirect_uris.require_https: ")


def test_private_use_scheme_uri_has_no_host_for_allowed_hosts_rfc8252_7_1() -> None:
    """Decision: a URI without a host never matches allowed_hosts."""
    metadata = normalized(application_type="native", redirect_uris=["com.example.app:/cb"])
    document = {"redirect_uris": {"allowed_hosts": ["app.example.com", "*.example.com"]}}
    error = refusal(document, metadata)
    assert isinstance(error, InvalidRedirectURI)
    assert error.rule == "redirect_uris"
    assert error.description.startswith("policy redirect_uris.allowed_hosts: redirect_uris[0]")


def test_private_use_scheme_passes_without_host_rules_rfc8252_7_1() -> None:
    metadata = normalized(application_type="native", redirect_uris=["com.example.app:/cb"])
    assert evaluate({"redirect_uris": {"allow_loopback": False}}, metadata) == metadata


def test_every_redirect_uri_is_checked_not_just_the_first_contract_redirect_uris() -> None:
    metadata = normalized(redirect_uris=["https://app.example.com/cb", "https://evil.example/cb"])
    error = refusal({"redirect_uris": {"allowed_hosts": ["app.example.com"]}}, metadata)
    assert "redirect_uris[1]" in error.description
    assert '"evil.example"' in error.description


def test_redirect_rules_cover_post_logout_redirect_uris_oidc_rp_logout_3_1() -> None:
    """Decision: post-logout redirect URIs are redirect targets too (invalid_client_metadata)."""
    metadata = normalized(post_logout_redirect_uris=["https://evil.example/bye"], **WEB)
    error = refusal({"redirect_uris": {"allowed_hosts": ["app.example.com"]}}, metadata)
    assert type(error) is InvalidClientMetadata
    assert error.rule == "redirect_uris"
    assert "post_logout_redirect_uris[0]" in error.description


def test_client_without_redirect_uris_passes_redirect_rules_contract_redirect_uris() -> None:
    metadata = normalized(**SERVICE)
    document = {"redirect_uris": {"allowed_hosts": ["app.example.com"], "require_https": True}}
    assert evaluate(document, metadata) == metadata


# --- uris_share_host_with_redirect_uris (RFC 7591 §5) ---------------------------------------


@pytest.mark.parametrize("field", ["logo_uri", "client_uri", "policy_uri", "tos_uri"])
def test_uris_on_redirect_host_pass_rfc7591_5(field: str) -> None:
    metadata = normalized(**{field: "https://APP.example.com/x"}, **WEB)
    assert evaluate({"uris_share_host_with_redirect_uris": True}, metadata) == metadata


@pytest.mark.parametrize(
    "host",
    [
        "cdn.elsewhere.example",
        "static.app.example.com",
        "example.com",
        "app.example.com.evil.example",
    ],
)
@pytest.mark.parametrize("field", ["logo_uri", "client_uri", "policy_uri", "tos_uri"])
def test_uris_on_another_host_are_refused_rfc7591_5(field: str, host: str) -> None:
    metadata = normalized(**{field: f"https://{host}/x"}, **WEB)
    error = refusal({"uris_share_host_with_redirect_uris": True}, metadata)
    assert isinstance(error, InvalidClientMetadata)
    assert error.rule == "uris_share_host_with_redirect_uris"
    assert error.description.startswith(f"policy uris_share_host_with_redirect_uris: {field} ")


@pytest.mark.parametrize("field", ["logo_uri#fr", "client_uri#ja-Jpan-JP", "tos_uri#de"])
def test_language_tagged_uris_are_checked_too_rfc7591_5_and_2_2(field: str) -> None:
    metadata = normalized(
        **{field.split("#")[0]: "https://app.example.com/x", field: "https://evil.example/x"},
        **WEB,
    )
    error = refusal({"uris_share_host_with_redirect_uris": True}, metadata)
    assert f": {field} " in error.description


def test_any_redirect_host_may_be_shared_rfc7591_5() -> None:
    metadata = normalized(
        redirect_uris=["https://app.example.com/cb", "https://www.acme.example/cb"],
        logo_uri="https://www.acme.example/logo.png",
    )
    assert evaluate({"uris_share_host_with_redirect_uris": True}, metadata) == metadata


def test_uris_without_redirect_uris_have_no_host_to_share_rfc7591_5() -> None:
    metadata = normalized(client_uri="https://acme.example/", **SERVICE)
    error = refusal({"uris_share_host_with_redirect_uris": True}, metadata)
    assert error.rule == "uris_share_host_with_redirect_uris"


def test_shared_host_rule_passes_when_no_such_uri_rfc7591_5() -> None:
    metadata = normalized(**WEB)
    assert evaluate({"uris_share_host_with_redirect_uris": True}, metadata) == metadata


def test_shared_host_false_sets_no_rule_rfc7591_5() -> None:
    metadata = normalized(logo_uri="https://cdn.elsewhere.example/logo.png", **WEB)
    assert evaluate({"uris_share_host_with_redirect_uris": False}, metadata) == metadata


# --- required_fields -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field",
    ["client_name", "contacts", "logo_uri", "tos_uri", "policy_uri", "software_id", "jwks_uri"],
)
def test_required_field_omitted_is_refused_contract_required_fields(field: str) -> None:
    error = refusal({"required_fields": [field]}, normalized(**WEB))
    assert isinstance(error, InvalidClientMetadata)
    assert error.rule == "required_fields"
    assert error.description == f"policy required_fields: {field} is required"


@pytest.mark.parametrize("value", [None, "", "   ", [], {}])
def test_required_field_present_but_empty_is_refused_contract_required_fields(
    value: object,
) -> None:
    error = refusal({"required_fields": ["contacts"]}, {**WEB, "contacts": value})
    assert error.rule == "required_fields"


def test_required_fields_present_pass_contract_required_fields() -> None:
    metadata = normalized(client_name="Acme", contacts=["ops@acme.example"], **WEB)
    assert evaluate({"required_fields": ["client_name", "contacts"]}, metadata) == metadata


def test_tagged_name_does_not_satisfy_untagged_requirement_rfc7591_2_2() -> None:
    metadata = normalized(**{"client_name#fr": "Acmé"}, **WEB)
    assert refusal({"required_fields": ["client_name"]}, metadata).rule == "required_fields"
    assert evaluate({"required_fields": ["client_name#fr"]}, metadata) == metadata


def test_required_fields_judge_the_final_metadata_after_narrowing_contract_final_metadata() -> None:
    document = {"scopes": {"allow": ["openid"]}, "required_fields": ["scope"]}
    error = refusal(document, normalized(scope="email", **WEB))
    assert error.rule == "required_fields"
    assert error.description == "policy required_fields: scope is required"


def test_required_default_fields_are_present_contract_defaults() -> None:
    metadata = normalized(**WEB)
    document = {
        "required_fields": ["grant_types", "token_endpoint_auth_method", "application_type"]
    }
    assert evaluate(document, metadata) == metadata


# --- client_name -----------------------------------------------------------------------------


def test_client_name_at_max_length_passes_contract_client_name() -> None:
    metadata = normalized(client_name="x" * 64, **WEB)
    assert evaluate({"client_name": {"max_length": 64}}, metadata) == metadata


def test_client_name_over_max_length_is_refused_contract_client_name() -> None:
    error = refusal({"client_name": {"max_length": 64}}, normalized(client_name="x" * 65, **WEB))
    assert (
        error.description
        == "policy client_name.max_length: client_name must be at most 64 characters"
    )


def test_tagged_client_name_over_max_length_is_refused_rfc7591_2_2() -> None:
    metadata = normalized(**{"client_name": "Acme", "client_name#de": "Acme Notizen Pro"}, **WEB)
    error = refusal({"client_name": {"max_length": 10}}, metadata)
    assert error.description.startswith("policy client_name.max_length: client_name#de ")


@pytest.mark.parametrize(
    "name",
    [
        "Official Acme",
        "ACME OFFICIAL",
        "Acme (unofficial)",
        "\uff2f\uff26\uff26\uff29\uff23\uff29\uff21\uff2c Acme",  # fullwidth: NFKC folds it to OFFICIAL
        "Off\u00adicial Acme",  # soft hyphen (an invisible format character)
        "Off\u200bicial Acme",  # zero-width space
        "Super  Admin",
        "super\tADMIN tools",
        "Straße Admin",
    ],
)
def test_forbidden_words_match_casefolded_normalized_substrings_contract_client_name(
    name: str,
) -> None:
    document = {"client_name": {"forbidden_words": ["official", "Super Admin", "STRASSE"]}}
    error = refusal(document, {**WEB, "client_name": name})
    assert isinstance(error, InvalidClientMetadata)
    assert error.rule == "client_name"
    assert error.description.startswith("policy client_name.forbidden_words: client_name ")


def test_forbidden_words_apply_to_tagged_names_rfc7591_2_2() -> None:
    metadata = normalized(**{"client_name": "Acme", "client_name#en-GB": "Acme Official"}, **WEB)
    error = refusal({"client_name": {"forbidden_words": ["official"]}}, metadata)
    assert error.description == (
        'policy client_name.forbidden_words: client_name#en-GB contains the forbidden word "official"'
    )


def test_clean_or_absent_client_name_passes_contract_client_name() -> None:
    document = {"client_name": {"max_length": 20, "forbidden_words": ["official", "admin"]}}
    for metadata in (normalized(client_name="Acme Notes", **WEB), normalized(**WEB)):
        assert evaluate(document, metadata) == metadata


# --- software_statement ----------------------------------------------------------------------


def test_approved_issuer_passes_rfc7591_2_3() -> None:
    document = {"software_statement": {"allowed_issuers": ["https://directory.example"]}}
    metadata = normalized(**WEB)
    result = evaluate(document, metadata, software_statement_issuer="https://directory.example")
    assert result == metadata


@pytest.mark.parametrize(
    "issuer",
    [None, "https://rogue.example", "https://directory.example/", "HTTPS://DIRECTORY.EXAMPLE"],
)
def test_missing_or_unapproved_issuer_is_refused_rfc7591_3_2_2(issuer: str | None) -> None:
    document = {"software_statement": {"allowed_issuers": ["https://directory.example"]}}
    error = refusal(document, normalized(**WEB), software_statement_issuer=issuer)
    assert isinstance(error, UnapprovedSoftwareStatement)
    assert error.error == "unapproved_software_statement"
    assert error.description.startswith("policy software_statement.allowed_issuers: ")


def test_approved_software_id_passes_rfc7591_2() -> None:
    document = {"software_statement": {"allowed_software_ids": ["4NRB1-0XZABZI9E6-5SM3R"]}}
    metadata = normalized(software_id="4NRB1-0XZABZI9E6-5SM3R", **WEB)
    assert evaluate(document, metadata) == metadata


def test_omitted_software_id_is_refused_when_ids_are_listed_rfc7591_3_2_2() -> None:
    document = {"software_statement": {"allowed_software_ids": ["4NRB1-0XZABZI9E6-5SM3R"]}}
    error = refusal(document, normalized(**WEB))
    assert isinstance(error, UnapprovedSoftwareStatement)
    assert error.description == (
        "policy software_statement.allowed_software_ids: a software_id is required"
    )


# --- source_ip_ranges ------------------------------------------------------------------------

RANGES = {"source_ip_ranges": ["203.0.113.0/24", "2001:db8::/32"]}


@pytest.mark.parametrize(
    "source_ip",
    ["203.0.113.7", "203.0.113.255", "2001:db8::1", "2001:DB8:ffff::2", "::ffff:203.0.113.9"],
)
def test_source_ip_inside_a_range_passes_contract_source_ip_ranges(source_ip: str) -> None:
    metadata = normalized(**WEB)
    assert evaluate(RANGES, metadata, source_ip=source_ip) == metadata


@pytest.mark.parametrize(
    "source_ip",
    [
        None,
        "",
        "garbage",
        "198.51.100.1",
        "203.0.114.1",
        "2001:db9::1",
        "203.0.113.7, 10.0.0.1",
        "::ffff:198.51.100.1",
    ],
)
def test_source_ip_outside_missing_or_garbage_is_denied_contract_source_ip_ranges(
    source_ip: str | None,
) -> None:
    error = refusal(RANGES, normalized(**WEB), source_ip=source_ip)
    assert isinstance(error, AccessDenied)
    assert error.status == HTTPStatus.FORBIDDEN
    assert error.rule == "source_ip_ranges"
    assert "garbage" not in error.description


# --- max_clients / max_clients_per_software_id ------------------------------------------------


def test_max_clients_below_limit_passes_contract_max_clients() -> None:
    metadata = normalized(**WEB)
    assert evaluate({"max_clients": 1000}, metadata, count_clients=lambda: 999) == metadata


@pytest.mark.parametrize("count", [1000, 1001])
def test_max_clients_reached_is_denied_on_register_contract_max_clients(count: int) -> None:
    error = refusal({"max_clients": 1000}, normalized(**WEB), count_clients=lambda: count)
    assert isinstance(error, AccessDenied)
    assert error.description.startswith("policy max_clients: ")


def test_max_clients_does_not_limit_updates_contract_max_clients() -> None:
    metadata = normalized(**WEB)
    assert (
        evaluate({"max_clients": 1}, metadata, is_update=True, count_clients=never_called)
        == metadata
    )


def test_counters_are_only_called_when_their_rule_is_set_contract_max_clients() -> None:
    metadata = normalized(software_id="acme-notes", **WEB)
    result = evaluate(
        {"grant_types": {"allow": ["authorization_code"]}},
        metadata,
        count_clients=never_called,
        count_clients_with_software_id=never_called,
    )
    assert result == metadata


@pytest.mark.parametrize("is_update", [False, True], ids=["register", "update"])
def test_max_clients_per_software_id_counts_that_software_id_contract_max_clients_per_software_id(
    is_update: bool,
) -> None:
    seen: list[str] = []

    def count(software_id: str) -> int:
        seen.append(software_id)
        return 4

    metadata = normalized(software_id="acme-notes", **WEB)
    document = {"max_clients_per_software_id": 5}
    assert (
        evaluate(document, metadata, is_update=is_update, count_clients_with_software_id=count)
        == metadata
    )
    assert seen == ["acme-notes"]
    error = refusal(
        document, metadata, is_update=is_update, count_clients_with_software_id=lambda _s: 5
    )
    assert error.status == HTTPStatus.BAD_REQUEST
    assert error.error == "invalid_client_metadata"
    assert '"acme-notes"' in error.description


def test_max_clients_per_software_id_skips_clients_without_software_id_contract_max_clients_per_software_id() -> (
    None
):
    metadata = normalized(**WEB)
    document = {"max_clients_per_software_id": 1}
    assert evaluate(document, metadata, count_clients_with_software_id=never_called) == metadata


# --- rate_limit, order, purity ---------------------------------------------------------------


def test_rate_limit_is_parsed_but_left_to_the_caller_contract_rate_limit() -> None:
    document = {"rate_limit": {"registrations_per_minute_per_ip": 1, "registrations_per_minute": 1}}
    policy = parse_policy(document)
    assert policy.rate_limit is not None
    assert policy.rate_limit.registrations_per_minute_per_ip == 1
    metadata = normalized(**WEB)
    for _ in range(3):
        assert evaluate(document, metadata) == metadata


ORDERED: list[tuple[str, dict[str, Any], Callable[..., Any]]] = [
    ("grant_types", {"grant_types": {"allow": ["client_credentials"]}}, lambda: None),
    ("redirect_uris", {"redirect_uris": {"allowed_hosts": ["other.example"]}}, lambda: None),
    ("required_fields", {"required_fields": ["contacts"]}, lambda: None),
    ("client_name", {"client_name": {"forbidden_words": ["acme"]}}, lambda: None),
    ("source_ip_ranges", {"source_ip_ranges": ["10.0.0.0/8"]}, lambda: None),
    ("max_clients", {"max_clients": 1}, lambda: None),
]


@pytest.mark.parametrize("start", range(len(ORDERED)))
def test_rules_run_in_contract_key_order_contract_policy_document(start: int) -> None:
    """Deterministic: with several violations the first key in the contract's order refuses,
    whatever the order of keys in the stored document."""
    document: dict[str, Any] = {}
    for _rule, part, _ in reversed(ORDERED[start:]):
        document.update(part)
    metadata = normalized(client_name="Acme", **WEB)
    error = refusal(document, metadata, count_clients=lambda: 5)
    assert error.rule == ORDERED[start][0]


def test_evaluation_does_not_mutate_the_input_contract_policy_document() -> None:
    metadata = normalized(scope="openid email admin", **WEB)
    before = {
        key: (list(value) if isinstance(value, list) else value) for key, value in metadata.items()
    }
    result = evaluate({"scopes": {"allow": ["openid"]}}, metadata)
    assert metadata == before
    assert result is not metadata
    assert result["scope"] == "openid"


def test_contract_example_policy_accepts_a_conforming_client_contract_policy_document() -> None:
    """The example document of CONTRACT.md (without its placeholder hook)."""
    document = {
        "grant_types": {"allow": ["authorization_code", "refresh_token", "client_credentials"]},
        "response_types": {"allow": ["code"]},
        "token_endpoint_auth_methods": {
            "allow": ["client_secret_basic", "private_key_jwt", "none"]
        },
        "scopes": {"allow": ["openid", "profile", "email"], "on_violation": "narrow"},
        "redirect_uris": {
            "allowed_hosts": ["app.example.com", "*.example.org"],
            "require_https": True,
            "allow_loopback": True,
        },
        "uris_share_host_with_redirect_uris": True,
        "required_fields": ["client_name", "contacts"],
        "client_name": {"max_length": 64, "forbidden_words": ["official", "admin"]},
        "software_statement": {
            "allowed_issuers": ["https://directory.example"],
            "allowed_software_ids": ["4NRB1-0XZABZI9E6-5SM3R"],
        },
        "source_ip_ranges": ["203.0.113.0/24", "2001:db8::/32"],
        "max_clients": 1000,
        "max_clients_per_software_id": 5,
        "rate_limit": {"registrations_per_minute_per_ip": 30, "registrations_per_minute": 600},
    }
    metadata = normalized(
        redirect_uris=["https://app.example.com/cb", "https://a.b.example.org/cb"],
        client_name="Acme Notes",
        contacts=["ops@acme.example"],
        logo_uri="https://app.example.com/logo.png",
        software_id="4NRB1-0XZABZI9E6-5SM3R",
        scope="openid email offline_access",
    )
    result = evaluate(
        document,
        metadata,
        source_ip="2001:db8::7",
        software_statement_issuer="https://directory.example",
        count_clients=lambda: 10,
        count_clients_with_software_id=lambda _s: 1,
    )
    assert result == {**metadata, "scope": "openid email"}
