"""Registration access tokens (RFC 7592 §1): issue, authenticate, rotate. Stored as SHA-256 digests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from dcr_server import crypto
from dcr_server.prepared import PreparedInsert, PreparedLookup, PreparedUpdate
from registration.errors import InvalidToken
from registration.models import Client, RegistrationAccessToken
from tenants.models import Workspace

INVALID_TOKEN_DESCRIPTION = (
    "The registration access token is missing, invalid, expired or not valid for this client."
)


_TOKEN_INSERT: PreparedInsert[RegistrationAccessToken] = PreparedInsert(RegistrationAccessToken)
# Compare-and-swap on the old digest (see rotate).
_ROTATE: PreparedUpdate[RegistrationAccessToken] = PreparedUpdate(
    RegistrationAccessToken, fields=("digest", "expires_at", "created_at"), where=("id", "digest")
)


def issue(
    *, client: Client, ttl_seconds: int, new_client: bool = False
) -> tuple[str, RegistrationAccessToken]:
    """A new token for ``client``, replacing any previous one (which stops working at once).

    ``new_client``: the client was just created, so there is nothing to replace (one INSERT).
    """
    if new_client:
        token, record = build(client=client, ttl_seconds=ttl_seconds)
        return token, _TOKEN_INSERT.insert(record)
    token = crypto.new_token()
    now = timezone.now()
    record, _ = RegistrationAccessToken.objects.update_or_create(
        client=client,
        defaults={
            "digest": crypto.token_digest(token),
            "expires_at": now + timedelta(seconds=ttl_seconds),
            "created_at": now,
        },
    )
    return token, record


def build(*, client: Client, ttl_seconds: int) -> tuple[str, RegistrationAccessToken]:
    """A new client's first token and its record, not yet written."""
    token = crypto.new_token()
    now = timezone.now()
    record = RegistrationAccessToken(
        client=client,
        digest=crypto.token_digest(token),
        expires_at=now + timedelta(seconds=ttl_seconds),
        created_at=now,
    )
    return token, record


def _token_lookup(*, lock: bool) -> PreparedLookup[RegistrationAccessToken]:
    def build(workspace_id: int, client_id: str) -> QuerySet[RegistrationAccessToken]:
        records = RegistrationAccessToken.objects.select_related("client")
        if lock:
            # PostgreSQL: the row stays locked until commit (SQLite ignores FOR UPDATE).
            records = records.select_for_update(of=("self",))
        return records.filter(client__workspace_id=workspace_id, client__client_id=client_id)

    return PreparedLookup(build, workspace_id=int, client_id=str)


# One token per client (a unique client_id per workspace): at most one row.
_TOKEN_FOR_UPDATE = _token_lookup(lock=True)
_TOKEN = _token_lookup(lock=False)


def authenticate(
    *, workspace: Workspace, client_id: str, presented: str, lock: bool = True
) -> RegistrationAccessToken:
    """The token record when ``presented`` manages ``client_id`` in ``workspace``.

    With ``lock`` it must run inside ``transaction.atomic``: on PostgreSQL the row stays locked
    until commit, so two requests with one token are serialized. Unknown client, wrong, expired or missing token all
    raise the same InvalidToken (RFC 7592 §2: 401, with nothing revealed about which).
    """
    if not presented or not client_id or "\x00" in client_id or len(client_id) > 255:
        raise InvalidToken(INVALID_TOKEN_DESCRIPTION)
    lookup = _TOKEN_FOR_UPDATE if lock else _TOKEN
    record = lookup.first(workspace_id=workspace.pk, client_id=client_id)
    if record is not None:
        record.client.workspace = workspace  # the filter's own: no join for workspace and tenant
    presented_digest = crypto.token_digest(presented)
    if record is None:
        # Compare anyway so an unknown client costs the same as a wrong token.
        crypto.digests_equal(presented_digest, "0" * 64)
        raise InvalidToken(INVALID_TOKEN_DESCRIPTION)
    if not crypto.digests_equal(record.digest, presented_digest):
        raise InvalidToken(INVALID_TOKEN_DESCRIPTION)
    if record.expires_at <= timezone.now():
        raise InvalidToken("The registration access token has expired.")
    return record


def rotate(
    *, record: RegistrationAccessToken, ttl_seconds: int
) -> tuple[str, RegistrationAccessToken]:
    """Replace the token atomically: a compare-and-swap on the old digest.

    If another request rotated it first (a race SQLite cannot lock against), this one fails.
    """
    token, successor = new_successor(ttl_seconds=ttl_seconds)
    swapped = _ROTATE.run(
        values=successor.values(), where={"id": record.pk, "digest": record.digest}
    )
    if swapped != 1:
        raise InvalidToken(INVALID_TOKEN_DESCRIPTION)
    successor.apply_to(record)
    return token, record


@dataclass(frozen=True)
class Successor:
    """The values a rotation writes into a token record in place of the current ones."""

    digest: str
    expires_at: datetime
    created_at: datetime

    def values(self) -> dict[str, object]:
        """Column name -> new value: the rotation's UPDATE (here and registration/statements.py)."""
        return {"digest": self.digest, "expires_at": self.expires_at, "created_at": self.created_at}

    def apply_to(self, record: RegistrationAccessToken) -> None:
        """The in-memory record as the rotation left the row."""
        for name, value in self.values().items():
            setattr(record, name, value)


def new_successor(*, ttl_seconds: int) -> tuple[str, Successor]:
    """A fresh token (from ``secrets``, via crypto.new_token) and the record values it takes."""
    token = crypto.new_token()
    now = timezone.now()
    return token, Successor(
        digest=crypto.token_digest(token),
        expires_at=now + timedelta(seconds=ttl_seconds),
        created_at=now,
    )
