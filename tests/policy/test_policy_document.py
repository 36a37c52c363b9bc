"""The DCR policy document: parse_policy, policy_to_document and schema.json
(CONTRACT.md "The DCR policy document": every key optional; an unknown key or a wrong type is
refused with the key named)."""

from __future__ import annotations

import copy
import dataclasses
import ipaddress
import json
from pathlib import Path
from typing import Any

import pytest

from registration.policy import (
    POLICY_KEYS,
    AllowRule,
    ClientNameRule,
    Policy,
    PolicyError,
    RateLimit,
    RedirectUrisRule,
    ScopesRule,
    SoftwareStatementRule,
    parse_policy,
    policy_to_document,
)

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "registration" / "policy" / "schema.json"

CONTRACT_EXAMPLE: dict[str, Any] = {
    "grant_types": {"allow": ["authorization_code", "refresh_token", "client_credentials"]},
    "response_types": {"allow": ["code"]},
    "token_endpoint_auth_methods": {"allow": ["client_secret_basic", "private_key_jwt", "none"]},
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
    "hook": "package.module.callable",
}
"""Verbatim from CONTRACT.md "The DCR policy document"."""


def _with(path: str, value: object) -> dict[str, Any]:
    """The contract example with the value at ``a.b`` replaced (or added)."""
    document = copy.deepcopy(CONTRACT_EXAMPLE)
    *parents, last = path.split(".")
    target = document
    for key in parents:
        target = target[key]
    target[last] = value
    return document


def _parse_error(document: object) -> str:
    with pytest.raises(PolicyError) as excinfo:
        parse_policy(document)
    return str(excinfo.value)


# --- well-formed documents ------------------------------------------------------------------


def test_contract_example_parses_into_typed_policy_contract_policy_document() -> None:
    policy = parse_policy(CONTRACT_EXAMPLE)
    assert policy == Policy(
        grant_types=AllowRule(allow=("authorization_code", "refresh_token", "client_credentials")),
        response_types=AllowRule(allow=("code",)),
        token_endpoint_auth_methods=AllowRule(
            allow=("client_secret_basic", "private_key_jwt", "none")
        ),
        scopes=ScopesRule(allow=("openid", "profile", "email"), on_violation="narrow"),
        redirect_uris=RedirectUrisRule(
            allowed_hosts=("app.example.com", "*.example.org"),
            require_https=True,
            allow_loopback=True,
        ),
        uris_share_host_with_redirect_uris=True,
        required_fields=("client_name", "contacts"),
        client_name=ClientNameRule(max_length=64, forbidden_words=("official", "admin")),
        software_statement=SoftwareStatementRule(
            allowed_issuers=("https://directory.example",),
            allowed_software_ids=("4NRB1-0XZABZI9E6-5SM3R",),
        ),
        source_ip_ranges=(
            ipaddress.ip_network("203.0.113.0/24"),
            ipaddress.ip_network("2001:db8::/32"),
        ),
        max_clients=1000,
        max_clients_per_software_id=5,
        rate_limit=RateLimit(registrations_per_minute_per_ip=30, registrations_per_minute=600),
        hook="package.module.callable",
    )


def test_policy_is_immutable_contract_policy_document() -> None:
    policy = parse_policy(CONTRACT_EXAMPLE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.max_clients = 1  # type: ignore[misc]


def test_empty_document_sets_no_rule_contract_every_key_optional() -> None:
    assert parse_policy({}) == Policy()
    assert policy_to_document(Policy()) == {}


@pytest.mark.parametrize("key", list(CONTRACT_EXAMPLE))
def test_each_key_alone_is_a_valid_document_contract_every_key_optional(key: str) -> None:
    policy = parse_policy({key: CONTRACT_EXAMPLE[key]})
    assert getattr(policy, key) is not None
    others = [f.name for f in dataclasses.fields(Policy) if f.name != key]
    assert all(getattr(policy, name) is None for name in others)


@pytest.mark.parametrize(
    "key",
    ["grant_types", "scopes", "redirect_uris", "client_name", "software_statement", "rate_limit"],
)
def test_nested_keys_are_optional_too_contract_every_key_optional(key: str) -> None:
    assert policy_to_document(parse_policy({key: {}})) == {key: {}}


def test_document_round_trips_contract_policy_document() -> None:
    assert policy_to_document(parse_policy(CONTRACT_EXAMPLE)) == CONTRACT_EXAMPLE
    policy = parse_policy(CONTRACT_EXAMPLE)
    assert parse_policy(policy_to_document(policy)) == policy
    json.dumps(policy_to_document(policy))  # storable as JSON


@pytest.mark.parametrize(
    ("path", "written", "stored"),
    [
        (
            "redirect_uris.allowed_hosts",
            ["App.Example.COM", "*.Example.org"],
            ["app.example.com", "*.example.org"],
        ),
        (
            "source_ip_ranges",
            ["203.0.113.7/24", "2001:DB8::1/32"],
            ["203.0.113.0/24", "2001:db8::/32"],
        ),
        ("source_ip_ranges", ["198.51.100.4"], ["198.51.100.4/32"]),
    ],
)
def test_hosts_and_ranges_are_normalized_on_parse_contract_policy_document(
    path: str, written: list[str], stored: list[str]
) -> None:
    document = policy_to_document(parse_policy(_with(path, written)))
    key, _, sub = path.partition(".")
    assert (document[key][sub] if sub else document[key]) == stored


def test_empty_allow_list_is_valid_and_allows_nothing_contract_allow_lists() -> None:
    assert parse_policy({"response_types": {"allow": []}}).response_types == AllowRule(allow=())


def test_on_violation_defaults_to_narrow_contract_scopes() -> None:
    rule = parse_policy({"scopes": {"allow": ["openid"]}}).scopes
    assert rule is not None
    assert rule.on_violation is None
    assert rule.effective_on_violation == "narrow"


@pytest.mark.parametrize(
    "name",
    [
        "client_name",
        "contacts",
        "logo_uri",
        "software_id",
        "jwks_uri",
        "client_name#fr",
        "tos_uri#de-CH",
    ],
)
def test_required_fields_accepts_metadata_names_contract_required_fields(name: str) -> None:
    assert parse_policy({"required_fields": [name]}).required_fields == (name,)


# --- refused documents: the error names the key path -----------------------------------------


@pytest.mark.parametrize("document", [[], "grant_types", 1, None, True])
def test_document_must_be_an_object_contract_one_json_object(document: object) -> None:
    assert _parse_error(document).startswith("policy: must be a JSON object")


@pytest.mark.parametrize(
    ("document", "path"),
    [
        ({"grant_type": {"allow": ["x"]}}, "grant_type"),
        ({"redirect_uri": {}}, "redirect_uri"),
        ({"Max_Clients": 3}, "Max_Clients"),
        ({"grant_types": {"allowed": ["x"]}}, "grant_types.allowed"),
        ({"scopes": {"allow": [], "on_violations": "reject"}}, "scopes.on_violations"),
        ({"redirect_uris": {"allowed_host": ["a.example"]}}, "redirect_uris.allowed_host"),
        ({"client_name": {"maxLength": 3}}, "client_name.maxLength"),
        ({"software_statement": {"issuers": []}}, "software_statement.issuers"),
        ({"rate_limit": {"per_ip": 3}}, "rate_limit.per_ip"),
    ],
)
def test_unknown_key_is_refused_with_its_path_contract_unknown_key(
    document: dict[str, Any], path: str
) -> None:
    message = _parse_error(document)
    assert message.startswith(f"{path}: unknown")


BAD_TYPES = [
    ("grant_types", ["authorization_code"]),
    ("grant_types.allow", "authorization_code"),
    ("grant_types.allow", [["nested"]]),
    ("response_types", "code"),
    ("token_endpoint_auth_methods.allow", None),
    ("scopes", ["openid"]),
    ("scopes.allow", "openid profile"),
    ("scopes.on_violation", "drop"),
    ("scopes.on_violation", True),
    ("redirect_uris", ["https://app.example.com"]),
    ("redirect_uris.allowed_hosts", "app.example.com"),
    ("redirect_uris.require_https", "true"),
    ("redirect_uris.require_https", 1),
    ("redirect_uris.allow_loopback", None),
    ("uris_share_host_with_redirect_uris", "yes"),
    ("uris_share_host_with_redirect_uris", 0),
    ("required_fields", "client_name"),
    ("client_name", "Acme"),
    ("client_name.max_length", "64"),
    ("client_name.max_length", 64.0),
    ("client_name.forbidden_words", "admin"),
    ("software_statement.allowed_issuers", "https://directory.example"),
    ("software_statement.allowed_software_ids", [1]),
    ("source_ip_ranges", "203.0.113.0/24"),
    ("max_clients", "1000"),
    ("max_clients", 10.5),
    ("max_clients_per_software_id", None),
    ("rate_limit", 30),
    ("rate_limit.registrations_per_minute", "600"),
    ("hook", ["package.module.callable"]),
    ("hook", 7),
]


@pytest.mark.parametrize(("path", "value"), BAD_TYPES)
def test_wrong_type_is_refused_with_its_path_contract_wrong_type(path: str, value: object) -> None:
    assert _parse_error(_with(path, value)).startswith(path)


INT_KEYS = [
    "max_clients",
    "max_clients_per_software_id",
    "client_name.max_length",
    "rate_limit.registrations_per_minute_per_ip",
    "rate_limit.registrations_per_minute",
]


@pytest.mark.parametrize("value", [True, False])
@pytest.mark.parametrize("path", INT_KEYS)
def test_booleans_are_not_integers_contract_wrong_type(path: str, value: bool) -> None:
    message = _parse_error(_with(path, value))
    assert message.startswith(f"{path}: must be a positive integer, not boolean")


@pytest.mark.parametrize("value", [0, -1])
@pytest.mark.parametrize("path", INT_KEYS)
def test_limits_must_be_positive_contract_policy_document(path: str, value: int) -> None:
    assert _parse_error(_with(path, value)).startswith(f"{path}: must be a positive integer")


@pytest.mark.parametrize(
    ("path", "value", "index"),
    [
        ("grant_types.allow", ["authorization_code", ""], 1),
        ("grant_types.allow", ["authorization_code", 3], 1),
        ("response_types.allow", ["  "], 0),
        ("token_endpoint_auth_methods.allow", ["none", " private_key_jwt"], 1),
        ("scopes.allow", ["openid", "profile email"], 1),
        ("scopes.allow", ['bad"quote'], 0),
        ("client_name.forbidden_words", ["admin", None], 1),
        ("software_statement.allowed_issuers", [""], 0),
        ("required_fields", ["client_name", "favourite_colour"], 1),
        ("required_fields", ["client_name", "contacts#en"], 1),
        ("required_fields", ["software_statement"], 0),
        ("source_ip_ranges", ["203.0.113.0/24", "203.0.113.0/33"], 1),
        ("source_ip_ranges", ["10.0.0.0/8", "not-an-ip"], 1),
        ("source_ip_ranges", ["2001:db8::/129"], 0),
    ],
)
def test_list_entries_are_checked_and_indexed_contract_wrong_type(
    path: str, value: list[object], index: int
) -> None:
    assert _parse_error(_with(path, value)).startswith(f"{path}[{index}]: ")


@pytest.mark.parametrize(
    "host",
    [
        "https://app.example.com",
        "app.example.com:443",
        "app.example.com/cb",
        "user@app.example.com",
        "*",
        "*example.org",
        "a.*.example.org",
        "*.*.example.org",
        "**.example.org",
        "app*.example.org",
        "*.",
        "*.example.org.",
        "example.org.",
        "*.10.0.0.1",
        "exa mple.org",
        "bücher.example",
        "under_score.example",
        "-bad.example",
        "",
    ],
)
def test_allowed_hosts_entries_are_host_names_or_star_dot_contract_allowed_hosts(
    host: str,
) -> None:
    message = _parse_error({"redirect_uris": {"allowed_hosts": ["app.example.com", host]}})
    assert message.startswith("redirect_uris.allowed_hosts[1]: ")


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "app.example.com",
        "*.example.org",
        "*.a.b.example.org",
        "127.0.0.1",
        "[::1]",
        "xn--bcher-kva.example",
    ],
)
def test_allowed_hosts_accepts_hosts_ips_and_wildcards_contract_allowed_hosts(host: str) -> None:
    rule = parse_policy({"redirect_uris": {"allowed_hosts": [host]}}).redirect_uris
    assert rule is not None
    assert rule.allowed_hosts == (host,)


@pytest.mark.parametrize(
    "hook",
    [
        "callable",
        "package..callable",
        "package.module.",
        "1pkg.module.fn",
        "pkg.class.fn",
        "pkg/module.fn",
        "",
    ],
)
def test_hook_must_be_a_dotted_path_contract_hook(hook: str) -> None:
    assert _parse_error({"hook": hook}).startswith("hook: ")


def test_parse_does_not_import_the_hook_contract_hook() -> None:
    """Parsing is pure: a stored policy still loads when its hook module is gone (the hook then
    fails closed at registration time, see test_policy_hook.py)."""
    assert parse_policy({"hook": "no_such_package.module.fn"}).hook == "no_such_package.module.fn"


def test_policy_error_is_a_value_error_contract_wrong_type() -> None:
    with pytest.raises(ValueError, match=r"^max_clients: "):
        parse_policy({"max_clients": "many"})


# --- schema.json: documentation kept consistent with the parser ------------------------------


def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node and "properties" not in node and "type" not in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    if "$ref" in node:
        node = {**schema["$defs"][node["$ref"].rsplit("/", 1)[1]], **node}
    return node


def test_schema_is_draft_2020_12_and_closed_contract_unknown_key() -> None:
    schema = _schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize("key", list(CONTRACT_EXAMPLE))
def test_every_contract_example_key_is_in_the_schema_contract_policy_document(key: str) -> None:
    assert key in _schema()["properties"]


def test_schema_and_parser_know_the_same_keys_contract_policy_document() -> None:
    schema = _schema()
    assert list(schema["properties"]) == list(POLICY_KEYS) == list(CONTRACT_EXAMPLE)
    assert [f.name for f in dataclasses.fields(Policy)] == list(POLICY_KEYS)
    for key, example in CONTRACT_EXAMPLE.items():
        if not isinstance(example, dict):
            continue
        node = _resolve(schema, schema["properties"][key])
        assert node["additionalProperties"] is False, key
        assert set(node["properties"]) == set(example), key
        nested = getattr(parse_policy(CONTRACT_EXAMPLE), key)
        assert {f.name for f in dataclasses.fields(nested)} == set(example), key


def test_schema_enumerates_on_violation_values_contract_scopes() -> None:
    on_violation = _schema()["properties"]["scopes"]["properties"]["on_violation"]
    assert on_violation["enum"] == ["narrow", "reject"]
