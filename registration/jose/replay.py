"""The ``jti`` replay store: a token id is accepted once while its token is acceptable.

RFC 7519 §4.1.7: "The "jti" claim can be used to prevent the JWT from being replayed." The ids
live in the database (``SeenJti``), so every app server sees every id, and the unique constraint
on ``(namespace, jti)`` decides races: of two concurrent requests with the same id exactly one
insert succeeds.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from registration.models import SeenJti

from .errors import InvalidClaims

MAX_JTI_LENGTH = 255  # SeenJti.jti
MAX_NAMESPACE_LENGTH = 100  # SeenJti.namespace
EXPIRY_GRACE = timedelta(seconds=300)
"""An id is remembered this long after ``expires_at``.

Callers pass the token's ``exp``, but ``verify_jws`` accepts a token until ``exp`` plus its
leeway (60 s by default): forgetting the id at ``exp`` would let the token be replayed during the
leeway. The grace covers any leeway up to five minutes.
"""
PURGE_ONE_IN = 50


def accept_jti_once(*, namespace: str, jti: str, expires_at: datetime) -> bool:
    """True the first time ``(namespace, jti)`` is seen while unexpired; False on a replay."""
    if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI_LENGTH:
        raise InvalidClaims(
            f"the jti claim must be a non-empty string of at most {MAX_JTI_LENGTH} characters"
        )
    if not namespace or len(namespace) > MAX_NAMESPACE_LENGTH:
        raise ValueError(f"namespace must be 1 to {MAX_NAMESPACE_LENGTH} characters")
    now = timezone.now()
    forget_before = now - EXPIRY_GRACE
    # Purging on 1 call in 50 keeps the table near its live size without adding a DELETE (and
    # its row locks, contended by concurrent requests) to every request. ``dcr cleanup`` may also
    # call ``purge_expired_jtis`` to sweep every namespace.
    if secrets.randbelow(PURGE_ONE_IN) == 0:
        purge_expired_jtis(namespace=namespace, now=now)
    try:
        # A savepoint when the caller is in a transaction: the failed insert rolls back alone.
        with transaction.atomic():
            SeenJti.objects.create(namespace=namespace, jti=jti, expires_at=expires_at)
        return True
    except IntegrityError:
        pass
    # The id was seen. If that row has expired the token may be used again: take the row over
    # with one conditional UPDATE. Concurrent takeovers serialize on the row lock and re-check
    # the condition (PostgreSQL READ COMMITTED), so exactly one of them updates it.
    with transaction.atomic():
        updated = SeenJti.objects.filter(
            namespace=namespace, jti=jti, expires_at__lt=forget_before
        ).update(expires_at=expires_at)
    return updated == 1


def purge_expired_jtis(*, namespace: str | None = None, now: datetime | None = None) -> int:
    """Delete ids whose tokens can no longer be accepted (of one namespace, or all)."""
    forget_before = (now or timezone.now()) - EXPIRY_GRACE
    expired = SeenJti.objects.filter(expires_at__lt=forget_before)
    if namespace is not None:
        expired = expired.filter(namespace=namespace)
    deleted, _ = expired.delete()
    return deleted
