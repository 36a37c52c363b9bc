"""accept_jti_once: a jti is accepted once while its token is acceptable (RFC 7519 §4.1.7)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from django.db import connections, transaction
from django.utils import timezone

from registration.jose import replay
from registration.jose.errors import InvalidClaims
from registration.jose.replay import EXPIRY_GRACE, accept_jti_once, purge_expired_jtis
from registration.models import SeenJti

NAMESPACE = "ws1:signed_request"


def in_future(seconds: int = 600) -> datetime:
    return timezone.now() + timedelta(seconds=seconds)


def long_expired() -> datetime:
    return timezone.now() - EXPIRY_GRACE - timedelta(seconds=10)


def test_first_use_is_accepted_and_a_replay_refused_rfc7519_4_1_7(db):
    """RFC 7519 §4.1.7: "The "jti" claim can be used to prevent the JWT from being replayed"."""
    assert accept_jti_once(namespace=NAMESPACE, jti="id-1", expires_at=in_future()) is True
    assert accept_jti_once(namespace=NAMESPACE, jti="id-1", expires_at=in_future()) is False
    assert SeenJti.objects.filter(namespace=NAMESPACE, jti="id-1").count() == 1


def test_namespaces_are_independent_rfc7519_4_1_7(db):
    """RFC 7519 §4.1.7: ids are unique per issuer; each workspace and token kind is a namespace."""
    assert accept_jti_once(namespace="ws1:signed_request", jti="id", expires_at=in_future())
    assert accept_jti_once(namespace="ws2:signed_request", jti="id", expires_at=in_future())
    assert accept_jti_once(namespace="ws1:software_statement", jti="id", expires_at=in_future())


def test_an_expired_entry_is_replaced_rfc7519_4_1_7(db):
    """RFC 7519 §4.1.7: an id only needs remembering while its token could be accepted."""
    SeenJti.objects.create(namespace=NAMESPACE, jti="old", expires_at=long_expired())
    new_expiry = in_future()
    assert accept_jti_once(namespace=NAMESPACE, jti="old", expires_at=new_expiry) is True
    assert SeenJti.objects.get(namespace=NAMESPACE, jti="old").expires_at == new_expiry
    assert accept_jti_once(namespace=NAMESPACE, jti="old", expires_at=in_future()) is False


def test_an_entry_is_kept_through_the_verifier_leeway_rfc7519_4_1_4(db):
    """RFC 7519 §4.1.4: verify_jws accepts a token until exp plus leeway, so an id whose exp
    just passed is still a replay."""
    just_expired = timezone.now() - timedelta(seconds=30)
    assert accept_jti_once(namespace=NAMESPACE, jti="id", expires_at=just_expired) is True
    assert accept_jti_once(namespace=NAMESPACE, jti="id", expires_at=just_expired) is False


@pytest.mark.parametrize("jti", ["", "x" * 256, None, 7])
def test_empty_or_oversized_jti_is_refused_rfc7519_4_1_7(db, jti):
    """RFC 7519 §4.1.7: jti is a case-sensitive string; here at most 255 characters."""
    with pytest.raises(InvalidClaims, match="jti"):
        accept_jti_once(namespace=NAMESPACE, jti=jti, expires_at=in_future())
    assert not SeenJti.objects.exists()


def test_jti_of_255_characters_is_accepted_rfc7519_4_1_7(db):
    """RFC 7519 §4.1.7: the longest storable id."""
    assert accept_jti_once(namespace=NAMESPACE, jti="x" * 255, expires_at=in_future())


def test_a_replay_inside_a_transaction_leaves_it_usable_rfc7519_4_1_7(db):
    """RFC 7519 §4.1.7: the refused insert rolls back to a savepoint, not the caller's work."""
    with transaction.atomic():
        assert accept_jti_once(namespace=NAMESPACE, jti="id", expires_at=in_future())
        assert not accept_jti_once(namespace=NAMESPACE, jti="id", expires_at=in_future())
        SeenJti.objects.create(namespace=NAMESPACE, jti="after", expires_at=in_future())
    assert set(SeenJti.objects.values_list("jti", flat=True)) == {"id", "after"}


def test_expired_entries_of_the_namespace_are_purged_rfc7519_4_1_7(db, monkeypatch):
    """RFC 7519 §4.1.7: expired ids are deleted (here: forcing the 1-in-50 purge)."""
    SeenJti.objects.create(namespace=NAMESPACE, jti="gone", expires_at=long_expired())
    SeenJti.objects.create(namespace="other", jti="gone", expires_at=long_expired())
    SeenJti.objects.create(namespace=NAMESPACE, jti="live", expires_at=in_future())
    monkeypatch.setattr(replay.secrets, "randbelow", lambda n: 0)
    assert accept_jti_once(namespace=NAMESPACE, jti="new", expires_at=in_future())
    remaining = set(SeenJti.objects.values_list("namespace", "jti"))
    assert remaining == {(NAMESPACE, "live"), (NAMESPACE, "new"), ("other", "gone")}
    assert purge_expired_jtis() == 1
    assert not SeenJti.objects.filter(namespace="other").exists()


def _race(count: int, call: object) -> list[bool]:
    """Run ``call`` in ``count`` threads released together; each thread closes its connection."""
    barrier = threading.Barrier(count)
    results: list[bool] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            barrier.wait()
            outcome = call()  # type: ignore[operator]
            with lock:
                results.append(outcome)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_uses_accept_exactly_one_rfc7519_4_1_7():
    """RFC 7519 §4.1.7: of concurrent requests with the same id, exactly one is accepted."""
    expires_at = in_future()
    results = _race(
        8, lambda: accept_jti_once(namespace=NAMESPACE, jti="race", expires_at=expires_at)
    )
    assert sorted(results) == [False] * 7 + [True]
    assert SeenJti.objects.filter(jti="race").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_takeover_of_an_expired_entry_accepts_exactly_one_rfc7519_4_1_7():
    """RFC 7519 §4.1.7: replacing an expired id is also decided for exactly one request."""
    SeenJti.objects.create(namespace=NAMESPACE, jti="race", expires_at=long_expired())
    expires_at = in_future()
    results = _race(
        8, lambda: accept_jti_once(namespace=NAMESPACE, jti="race", expires_at=expires_at)
    )
    assert sorted(results) == [False] * 7 + [True]
