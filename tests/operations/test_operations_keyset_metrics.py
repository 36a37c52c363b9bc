"""Key-set metrics: JWKS URI fetches by outcome and lookups by cache state, per kind."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.cache import cache

from registration.jose.errors import KeySetUnavailable
from registration.jose.keysets import KeySet
from tests.jose.conftest import public_jwk
from tests.servers import JWKSServer

KIND = {"workspace": "unknown", "kind": "software_statement"}  # no request: no workspace


@pytest.fixture
def server() -> Iterator[JWKSServer]:
    cache.clear()
    jwks = JWKSServer()
    jwks.document = {
        "keys": [
            public_jwk(rsa.generate_private_key(public_exponent=65537, key_size=2048), kid="k")
        ]
    }
    yield jwks
    jwks.stop()
    cache.clear()


def test_fetches_and_cache_states_are_counted(server: JWKSServer, metric: Any) -> None:
    keys = KeySet(inline=None, uri=server.url, cache_namespace="ws1:software_statement")
    fetch_ok = metric("dcr_keyset_fetches_total", **KIND, outcome="ok")
    fetch_error = metric("dcr_keyset_fetches_total", **KIND, outcome="error")
    fetched = metric("dcr_keyset_lookups_total", **KIND, result="fetched")
    cached = metric("dcr_keyset_lookups_total", **KIND, result="cached")
    stale = metric("dcr_keyset_lookups_total", **KIND, result="stale")

    keys.signing_keys("k")  # fetched
    keys.signing_keys("k")  # cached
    server.stop()
    cache.delete(keys._cache_key("fresh"))
    keys.signing_keys("k")  # the URI fails: the stale copy is served

    assert metric("dcr_keyset_fetches_total", **KIND, outcome="ok") == fetch_ok + 1
    assert metric("dcr_keyset_fetches_total", **KIND, outcome="error") == fetch_error + 1
    assert metric("dcr_keyset_lookups_total", **KIND, result="fetched") == fetched + 1
    assert metric("dcr_keyset_lookups_total", **KIND, result="cached") == cached + 1
    assert metric("dcr_keyset_lookups_total", **KIND, result="stale") == stale + 1


def test_an_unreachable_uri_without_a_copy_counts_as_unavailable(metric: Any) -> None:
    cache.clear()
    keys = KeySet(inline=None, uri="https://127.0.0.1:9/jwks", cache_namespace="ws1:signed_request")
    labels = {"workspace": "unknown", "kind": "signed_request"}
    before = metric("dcr_keyset_lookups_total", **labels, result="unavailable")
    errors = metric("dcr_keyset_fetches_total", **labels, outcome="error")

    for _ in range(2):  # the second is the remembered failure: no second fetch
        with pytest.raises(KeySetUnavailable):
            keys.signing_keys("k")

    assert metric("dcr_keyset_lookups_total", **labels, result="unavailable") == before + 2
    assert metric("dcr_keyset_fetches_total", **labels, outcome="error") == errors + 1
    cache.clear()
