"""Key sets: JWKS validation (RFC 7517), JWKS files, and JWKS URIs with caching and rotation."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core.cache import cache

from registration.jose import keysets
from registration.jose.errors import KeySetError, KeySetUnavailable
from registration.jose.keysets import (
    KeySet,
    describe_keys,
    load_jwks_file,
    validate_public_jwks,
)
from tests.jose.conftest import private_jwk, public_jwk


def kids(keys: list[Any]) -> list[str | None]:
    return [key.key_id for key in keys]


# -- validate_public_jwks -----------------------------------------------------------------------
def test_public_rsa_ec_okp_keys_are_accepted_rfc7517_5(rsa_jwk, ec_jwk, okp_jwk, ed448_key):
    """RFC 7517 §5: a JWK Set is an object with a "keys" array of public keys."""
    ed448 = public_jwk(ed448_key, kid="ed448")
    document = {"keys": [rsa_jwk, ec_jwk, okp_jwk, ed448], "extra": "dropped"}
    assert validate_public_jwks(document) == {"keys": [rsa_jwk, ec_jwk, okp_jwk, ed448]}


@pytest.mark.parametrize("key_fixture", ["rsa_key", "ec_key", "ed_key"])
def test_private_keys_are_refused_rfc7517_4(request, key_fixture):
    """RFC 7517 §4 / RFC 7518 §6.2.2, §6.3.2, RFC 8037 §2: the "d" member is private."""
    key = private_jwk(request.getfixturevalue(key_fixture))
    with pytest.raises(KeySetError, match=r"^keys\[0\]: contains private key material \(d"):
        validate_public_jwks({"keys": [key]})


@pytest.mark.parametrize("member", ["p", "q", "dp", "dq", "qi", "oth"])
def test_each_private_rsa_member_is_refused_rfc7518_6_3_2(rsa_jwk, member):
    """RFC 7518 §6.3.2: p, q, dp, dq, qi and oth are private RSA members."""
    with pytest.raises(KeySetError, match=rf"private key material \({member}\)"):
        validate_public_jwks({"keys": [{**rsa_jwk, member: "AQAB"}]})


@pytest.mark.parametrize("key", [{"kty": "oct", "k": "c2VjcmV0"}, {"kty": "oct"}])
def test_symmetric_keys_are_refused_rfc7518_6_4(key):
    """RFC 7518 §6.4: an "oct" key is a shared secret, never a public verification key."""
    with pytest.raises(KeySetError, match=r"symmetric"):
        validate_public_jwks({"keys": [key]})


def test_rsa_1024_is_refused_rfc7518_3_3():
    """RFC 7518 §3.3: "A key of size 2048 bits or larger MUST be used"."""
    short = public_jwk(rsa.generate_private_key(public_exponent=65537, key_size=1024))
    with pytest.raises(KeySetError, match=r"not 1024 \(RFC 7518 §3.3\)"):
        validate_public_jwks({"keys": [short]})


def test_duplicate_kids_are_refused_rfc7517_4_5(rsa_jwk, ec_jwk):
    """RFC 7517 §4.5: kid values distinguish the keys of a set."""
    with pytest.raises(KeySetError, match=r'^keys\[1\]\.kid: duplicate kid "rsa-1"'):
        validate_public_jwks({"keys": [rsa_jwk, {**ec_jwk, "kid": "rsa-1"}]})


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (None, "must be a JSON object, not null"),
        ([], "must be a JSON object, not array"),
        ("keys", "must be a JSON object, not string"),
        ({}, "keys: must be an array"),
        ({"keys": {}}, "keys: must be an array"),
        ({"keys": []}, "between 1 and 50"),
        ({"keys": [1]}, r"keys\[0\]"),
        ({"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}, r"keys\[0\]"),
        ({"keys": [{"kty": "XYZ"}]}, "is not supported"),
        ({"keys": [{"n": "x"}]}, "kty"),
    ],
)
def test_garbage_is_refused_rfc7517_5(document, message):
    """RFC 7517 §5: only a JWK Set of usable keys is accepted."""
    with pytest.raises(KeySetError, match=message):
        validate_public_jwks(document)


def test_more_than_50_keys_are_refused_rfc7517_5(rsa_jwk):
    """RFC 7517 §5: the set is capped at 50 keys (resource limit)."""
    many = [{**rsa_jwk, "kid": f"k{index}"} for index in range(51)]
    with pytest.raises(KeySetError, match=r"between 1 and 50 keys, not 51"):
        validate_public_jwks({"keys": many})


def test_unsupported_curves_are_refused_rfc7518_6_2_1_1():
    """RFC 7518 §6.2.1.1 / RFC 8037: only P-256/384/521 and Ed25519/Ed448 verify here."""
    k1 = public_jwk(ec.generate_private_key(ec.SECP256K1()), kid="k1")
    with pytest.raises(KeySetError, match=r"crv.*secp256k1.*not supported"):
        validate_public_jwks({"keys": [k1]})


@pytest.mark.parametrize("alg", ["HS256", "ES256", "none", "RSA-OAEP"])
def test_signing_key_alg_must_be_allowed_and_fit_rfc8725_3_1(rsa_jwk, alg):
    """RFC 8725 §3.1: a key is bound to algorithms of its own family from the allow-list."""
    with pytest.raises(KeySetError, match=r"^keys\[0\]"):
        validate_public_jwks({"keys": [{**rsa_jwk, "alg": alg}]})


def test_encryption_keys_are_accepted_but_never_verify_rfc7517_4_2(rsa_jwk, ec_jwk):
    """RFC 7517 §4.2: a "use": "enc" key is kept in the set but not used for signatures."""
    enc = {**rsa_jwk, "kid": "enc-1", "use": "enc", "alg": "RSA-OAEP"}
    jwks = validate_public_jwks({"keys": [enc, ec_jwk]})
    key_set = KeySet(inline=jwks, uri="", cache_namespace="test")
    assert kids(key_set.signing_keys(None)) == ["ec-1"]
    assert key_set.signing_keys("enc-1") == []


# -- describe_keys / load_jwks_file -------------------------------------------------------------
def test_describe_keys_lists_kid_kty_alg_rfc7517_4(rsa_jwk, ec_jwk):
    """RFC 7517 §4.1, §4.4, §4.5: kty, alg and kid, "" when absent."""
    jwks = {"keys": [{**rsa_jwk, "alg": "PS256"}, {k: v for k, v in ec_jwk.items() if k != "kid"}]}
    assert describe_keys(jwks) == [
        {"kid": "rsa-1", "kty": "RSA", "alg": "PS256"},
        {"kid": "", "kty": "EC", "alg": ""},
    ]


def test_load_jwks_file_reads_a_set_or_a_single_key_rfc7517_5(tmp_path, rsa_jwk, ec_jwk):
    """RFC 7517 §5 (a set) and §4 (a single JWK, wrapped into a set)."""
    set_file = tmp_path / "jwks.json"
    set_file.write_text(json.dumps({"keys": [rsa_jwk, ec_jwk]}))
    single = tmp_path / "key.json"
    single.write_text(json.dumps(ec_jwk))
    assert load_jwks_file(str(set_file)) == {"keys": [rsa_jwk, ec_jwk]}
    assert load_jwks_file(str(single)) == {"keys": [ec_jwk]}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", r"not valid JSON \(.* at line 1 column 2\)"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b"[1, 2]", "must be a JSON object"),
        (b'{"keys": []}', "between 1 and 50"),
    ],
)
def test_load_jwks_file_refuses_bad_files_rfc7517_5(tmp_path, content, message):
    """RFC 7517 §5: anything but a JSON JWK Set is refused with one line naming the file."""
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(KeySetError, match=message) as info:
        load_jwks_file(str(path))
    assert str(info.value).startswith(str(path))
    assert "\n" not in str(info.value)


def test_load_jwks_file_refuses_a_private_key_rfc7517_4(tmp_path, rsa_key):
    """RFC 7517 §4: a private JWK file is refused (the public half must be configured)."""
    path = tmp_path / "private.json"
    path.write_text(json.dumps(private_jwk(rsa_key)))
    with pytest.raises(KeySetError, match=r"private key material"):
        load_jwks_file(str(path))


def test_load_jwks_file_missing_file_rfc7517_5(tmp_path):
    """RFC 7517 §5: an unreadable file is a one-line KeySetError."""
    with pytest.raises(KeySetError, match=r"^cannot read .*missing.json: No such file"):
        load_jwks_file(str(tmp_path / "missing.json"))


# -- KeySet: inline -----------------------------------------------------------------------------
def test_inline_keys_match_by_kid_rfc7515_4_1_4(inline_keys):
    """RFC 7515 §4.1.4: kid selects the key; no kid means every key is a candidate."""
    assert kids(inline_keys.signing_keys("ec-1")) == ["ec-1"]
    assert kids(inline_keys.signing_keys(None)) == ["rsa-1", "ec-1", "ed-1"]
    assert inline_keys.signing_keys("unknown") == []


def test_keys_without_kid_match_any_kid_rfc7517_4_5(rsa_jwk):
    """RFC 7517 §4.5: kid is OPTIONAL; a key without one is a candidate for every token."""
    anonymous = {k: v for k, v in rsa_jwk.items() if k != "kid"}
    key_set = KeySet(inline={"keys": [anonymous]}, uri="", cache_namespace="test")
    assert len(key_set.signing_keys("whatever")) == 1


def test_unconfigured_or_invalid_inline_set_is_unavailable_rfc7517_5(rsa_key):
    """RFC 7517 §5: no key set, or a stored one that is not a valid public set, verifies nothing."""
    with pytest.raises(KeySetUnavailable, match="no JWKS or JWKS URI is configured"):
        KeySet(inline=None, uri="", cache_namespace="test").signing_keys(None)
    bad = KeySet(inline={"keys": [private_jwk(rsa_key)]}, uri="", cache_namespace="test")
    with pytest.raises(KeySetUnavailable, match="configured JWKS is unusable"):
        bad.signing_keys(None)


def test_inline_keys_win_over_the_uri_rfc7591_2(inline_keys, jwks_server):
    """Inline keys are used when both are configured; the URI is then never fetched."""
    both = KeySet(inline=inline_keys.inline, uri=jwks_server.url, cache_namespace="test")
    assert kids(both.signing_keys("rsa-1")) == ["rsa-1"]
    assert jwks_server.hits == 0


# -- KeySet: JWKS URI ---------------------------------------------------------------------------
def test_uri_keys_are_fetched_once_and_cached_rfc7517_5(uri_keys, jwks_server):
    """RFC 7517 §5 fetched from the URI; RFC 9111 §5.2.2.1 max-age=300 → served from the cache."""
    for _ in range(3):
        assert kids(uri_keys.signing_keys("rsa-1")) == ["rsa-1"]
    assert jwks_server.hits == 1
    cache.delete(uri_keys._cache_key("fresh"))  # what max-age expiry does
    assert kids(uri_keys.signing_keys("rsa-1")) == ["rsa-1"]
    assert jwks_server.hits == 2


@pytest.mark.parametrize(
    ("cache_control", "ttl"),
    [
        ("max-age=300", 300),
        ("public, s-maxage=120, max-age=10", 120),
        ("max-age=5", 60),
        ("no-store", 60),
        ("max-age=9999999", 24 * 3600),
        (None, 3600),
    ],
)
def test_cache_control_max_age_is_clamped_rfc9111_5_2_2_1(
    uri_keys, jwks_server, monkeypatch, cache_control, ttl
):
    """RFC 9111 §5.2.2.1: max-age sets the lifetime, clamped to [60 s, 24 h], 1 h when absent."""
    jwks_server.cache_control = cache_control
    timeouts: dict[str, int] = {}
    real_set = cache.set

    def spy(key: str, value: Any, timeout: int) -> None:
        timeouts[key.rsplit(":", 1)[1]] = timeout
        real_set(key, value, timeout)

    monkeypatch.setattr(keysets.cache, "set", spy)
    uri_keys.signing_keys("rsa-1")
    assert timeouts == {"fresh": ttl, "stale": 7 * 24 * 3600}


def test_rotation_is_picked_up_once_and_bogus_kids_are_throttled_rfc7517_4_5(
    uri_keys, jwks_server, rsa_jwk, other_rsa_key
):
    """RFC 7517 §4.5: a new kid at the issuer is fetched once; a bogus kid refetches at most once
    per 30 s (RFC 8725 §3.x: a token must not make the server fetch on every request)."""
    assert kids(uri_keys.signing_keys("rsa-1")) == ["rsa-1"]
    rotated = public_jwk(other_rsa_key, kid="rsa-2")
    jwks_server.document = {"keys": [rsa_jwk, rotated]}
    assert kids(uri_keys.signing_keys("rsa-2")) == ["rsa-2"]
    assert jwks_server.hits == 2
    for _ in range(5):
        assert uri_keys.signing_keys("bogus") == []
    assert kids(uri_keys.signing_keys("rsa-2")) == ["rsa-2"]
    assert jwks_server.hits == 2


def test_bogus_kid_refetches_once_per_cooldown_rfc7517_4_5(uri_keys, jwks_server):
    """RFC 7517 §4.5: an unknown kid triggers one refetch, then none until the cooldown ends."""
    uri_keys.signing_keys("rsa-1")
    for _ in range(5):
        assert uri_keys.signing_keys("bogus") == []
    assert jwks_server.hits == 2
    cache.delete(uri_keys._cache_key("cooldown"))  # what the 30 s expiry does
    uri_keys.signing_keys("bogus")
    assert jwks_server.hits == 3


def test_refresh_on_miss_false_never_refetches_rfc7517_4_5(uri_keys, jwks_server):
    """RFC 7517 §4.5: callers may ask for the cached keys only."""
    uri_keys.signing_keys("rsa-1")
    assert uri_keys.signing_keys("bogus", refresh_on_miss=False) == []
    assert jwks_server.hits == 1


def test_unreachable_uri_keeps_working_from_the_cache_rfc7517_5(uri_keys, jwks_server):
    """RFC 7517 §5: once fetched, an outage of the JWKS URI is bridged by the cached copy."""
    uri_keys.signing_keys("rsa-1")
    jwks_server.stop()
    assert kids(uri_keys.signing_keys("rsa-1")) == ["rsa-1"]  # fresh copy
    cache.delete(uri_keys._cache_key("fresh"))  # max-age over: only the stale copy is left
    assert kids(uri_keys.signing_keys("rsa-1")) == ["rsa-1"]
    assert kids(uri_keys.signing_keys("rsa-1")) == ["rsa-1"]


def test_garbage_from_the_uri_keeps_the_stale_copy_rfc7517_5(uri_keys, jwks_server, rsa_key):
    """RFC 7517 §5: an invalid document (here a private key) never replaces good keys."""
    uri_keys.signing_keys("rsa-1")
    cache.delete(uri_keys._cache_key("fresh"))
    jwks_server.document = {"keys": [{**private_jwk(rsa_key), "kid": "rsa-1"}]}
    assert kids(uri_keys.signing_keys("rsa-1")) == ["rsa-1"]
    assert uri_keys.signing_keys("rsa-1")[0].key.__class__.__name__.endswith("PublicKey")
    assert jwks_server.hits == 2  # the stale copy is served for a while without refetching


def test_unreachable_uri_without_cache_is_unavailable_rfc7517_5():
    """RFC 7517 §5: with nothing cached, an unreachable JWKS URI verifies nothing."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/jwks.json"
    key_set = KeySet(inline=None, uri=url, cache_namespace="test:down")
    with pytest.raises(KeySetUnavailable, match=rf"^the JWKS URI {url} could not be fetched: "):
        key_set.signing_keys("rsa-1")


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (500, b"{}", "HTTP 500"),
        (200, b"<html>", "not a JSON document"),
        (200, b'{"keys": "no"}', "must be an array"),
    ],
)
def test_bad_uri_response_without_cache_is_unavailable_rfc7517_5(
    jwks_server, status, body, message
):
    """RFC 7517 §5: an error or a non-JWKS response with nothing cached → KeySetUnavailable; the
    failure is remembered briefly so requests do not each wait for the URI."""
    jwks_server.status, jwks_server.body = status, body
    key_set = KeySet(inline=None, uri=jwks_server.url, cache_namespace="test:bad")
    for _ in range(3):
        with pytest.raises(KeySetUnavailable, match=message):
            key_set.signing_keys(None)
    assert jwks_server.hits == 1


def test_cache_is_per_namespace_and_uri_rfc7517_5(jwks_server, rsa_jwk, ec_jwk):
    """RFC 7517 §5: each workspace's key set (and a changed URI) is cached separately."""
    jwks_server.document = {"keys": [rsa_jwk]}
    first = KeySet(inline=None, uri=jwks_server.url, cache_namespace="ws1:software_statement")
    assert kids(first.signing_keys(None)) == ["rsa-1"]
    jwks_server.document = {"keys": [ec_jwk]}
    second = KeySet(inline=None, uri=jwks_server.url, cache_namespace="ws2:software_statement")
    moved = KeySet(
        inline=None, uri=jwks_server.url + "?v=2", cache_namespace="ws1:software_statement"
    )
    assert kids(second.signing_keys(None)) == ["ec-1"]
    assert kids(moved.signing_keys(None)) == ["ec-1"]
    assert kids(first.signing_keys(None)) == ["rsa-1"]
