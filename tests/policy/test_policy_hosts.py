"""redirect_uris.allowed_hosts host matching (CONTRACT.md "The DCR policy document": exact host
names, or ``*.`` wildcards matching one or more whole labels) and loopback detection."""

from __future__ import annotations

from typing import Any

import pytest

from registration.errors import InvalidRedirectURI
from registration.policy import PolicyContext, evaluate_policy, parse_policy
from registration.policy.hosts import (
    host_matches,
    host_pattern_problem,
    is_loopback_host,
    normalize_host,
    uri_host,
)

ALLOWED = ["app.example.com", "*.example.org", "[2001:db8::1]", "192.0.2.10"]


def check(redirect_uri: str) -> dict[str, Any]:
    """Evaluate allowed_hosts over one redirect URI (metadata as the validator would pass it)."""
    policy = parse_policy({"redirect_uris": {"allowed_hosts": ALLOWED}})
    context = PolicyContext(
        source_ip="203.0.113.7",
        software_statement_issuer=None,
        count_clients=lambda: 0,
        count_clients_with_software_id=lambda _software_id: 0,
    )
    metadata = {"grant_types": ["authorization_code"], "redirect_uris": [redirect_uri]}
    return evaluate_policy(policy, metadata=metadata, context=context)


@pytest.mark.parametrize(
    ("host", "pattern"),
    [
        ("app.example.com", "app.example.com"),
        ("APP.Example.COM", "app.example.com"),
        ("app.example.com", "APP.EXAMPLE.COM"),
        ("app.example.com.", "app.example.com"),  # the same DNS name (RFC 1034 §3.1)
        ("a.example.org", "*.example.org"),
        ("a.b.example.org", "*.example.org"),
        ("x-1.y-2.z-3.example.org", "*.example.org"),
        ("A.EXAMPLE.ORG", "*.example.org"),
        ("a.example.org.", "*.example.org"),
        ("xn--bcher-kva.example.org", "*.example.org"),
        ("[2001:db8::1]", "[2001:DB8:0:0::1]"),
    ],
)
def test_host_matches_exact_and_whole_label_wildcards_contract_allowed_hosts(
    host: str, pattern: str
) -> None:
    assert host_matches(host, pattern)


@pytest.mark.parametrize(
    ("host", "pattern"),
    [
        ("example.org", "*.example.org"),  # the wildcard needs at least one label
        ("badexample.org", "*.example.org"),  # not a label boundary
        ("example.org.evil.com", "*.example.org"),
        ("a.example.org.evil.com", "*.example.org"),
        ("a.example.orgx", "*.example.org"),
        (".example.org", "*.example.org"),
        ("a..example.org", "*.example.org"),
        ("", "*.example.org"),
        ("evil.app.example.com", "app.example.com"),  # exact entries are exact
        ("app.example.com.evil.com", "app.example.com"),
        ("pp.example.com", "app.example.com"),
        ("app.example.co", "app.example.com"),
        ("[2001:db8::2]", "[2001:db8::1]"),
    ],
)
def test_host_does_not_match_by_suffix_contract_allowed_hosts(host: str, pattern: str) -> None:
    assert not host_matches(host, pattern)


@pytest.mark.parametrize(
    "uri",
    [
        "https://app.example.com/cb",
        "https://APP.EXAMPLE.COM/cb",
        "https://app.example.com:8443/cb?x=1",
        "https://a.example.org/cb",
        "https://a.b.example.org/cb",
        "https://Deep.Sub.Example.Org/cb",
        "https://[2001:db8::1]/cb",
        "https://192.0.2.10/cb",
    ],
)
def test_allowed_redirect_hosts_pass_contract_allowed_hosts(uri: str) -> None:
    assert check(uri)["redirect_uris"] == [uri]


@pytest.mark.parametrize(
    "uri",
    [
        "https://example.org/cb",
        "https://badexample.org/cb",
        "https://example.org.evil.com/cb",
        "https://a.example.org.evil.com/cb",
        "https://evil.com/?x=.example.org",
        "https://evil.com/a.example.org/cb",
        "https://evil.com/cb#.example.org",
        "https://a.example.org@evil.com/cb",  # user-info, the host is evil.com
        "https://app.example.com.evil.com/cb",
        "https://evil.app.example.com/cb",
        "https://a.example.org./cb",  # trailing dot: not a host the validator accepts
        "https://192.0.2.11/cb",
        "https://[2001:db8::2]/cb",
        "com.example.org:/cb",  # private-use scheme: no host at all
        "https:///cb",
        "not a uri",
    ],
)
def test_other_redirect_hosts_are_refused_contract_allowed_hosts(uri: str) -> None:
    with pytest.raises(InvalidRedirectURI) as excinfo:
        check(uri)
    assert excinfo.value.rule == "redirect_uris"
    assert excinfo.value.description.startswith("policy redirect_uris.allowed_hosts: ")


@pytest.mark.parametrize(
    ("uri", "host"),
    [
        ("https://App.Example.com:8443/cb", "app.example.com"),
        ("https://user@app.example.com/cb", "app.example.com"),
        ("https://[2001:DB8::0:1]/cb", "[2001:db8::1]"),
        ("http://127.0.0.1:9/cb", "127.0.0.1"),
        ("com.example.app:/cb", None),
        ("urn:ietf:wg:oauth:2.0:oob", None),
        ("https://exa mple.com/", None),
        ("", None),
    ],
)
def test_uri_host_uses_the_validators_parser_rfc3986_3_2_2(uri: str, host: str | None) -> None:
    assert uri_host(uri) == host


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "127.255.255.254",
        "[::1]",
        "[0:0:0:0:0:0:0:1]",
        "localhost",
        "LOCALHOST",
        "localhost.",
        "app.localhost",
        "[::ffff:127.0.0.1]",
    ],
)
def test_loopback_hosts_rfc8252_7_3_and_rfc6761_6_3(host: str) -> None:
    assert is_loopback_host(host)


@pytest.mark.parametrize(
    "host",
    [None, "", "10.0.0.1", "[::2]", "localhost.example.com", "mylocalhost", "128.0.0.1", "0.0.0.0"],
)
def test_non_loopback_hosts_rfc8252_7_3(host: str | None) -> None:
    assert not is_loopback_host(host)


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("app.example.com", None),
        ("*.example.org", None),
        ("[::1]", None),
        ("*", "wildcard"),
        ("*.example.org:443", "wildcard"),
        ("app.example.com:443", "port"),
        ("https://app.example.com", "bare host"),
        ("app.example.com/", "bare host"),
        ("ex*ample.org", "leading"),
        ("bücher.example", "punycode"),
        ("app.example.com.", "dot"),
    ],
)
def test_host_pattern_problems_are_explained_contract_allowed_hosts(
    pattern: str, problem: str | None
) -> None:
    found = host_pattern_problem(pattern)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found


@pytest.mark.parametrize(
    ("host", "normalized"),
    [("App.Example.COM.", "app.example.com"), ("[2001:DB8:0::1]", "[2001:db8::1]"), ("a..", "a..")],
)
def test_normalize_host_rfc4343_case_insensitive(host: str, normalized: str) -> None:
    assert normalize_host(host) == normalized
