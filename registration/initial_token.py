"""Protect by access token: the registration endpoint's initial access token (RFC 7591 §3).

The token carries ``dcr_register`` and comes from the same workspace's token endpoint. It is
single use: a successful registration deletes it ("terminated", the seed says) inside the
registration's transaction, with a conditional delete, so of several parallel registrations with
one token exactly one commits. A refused registration rolls back and leaves the token usable.
"""

from __future__ import annotations

from oauth2_provider.models import AccessToken

from dcr_server import crypto
from registration import statements
from registration.bearer import offers_bearer, parse_bearer
from registration.capabilities import DCR_REGISTER_SCOPE
from registration.errors import InsufficientScope, InvalidToken, MissingCredentials
from registration.selectors import access_token_by_checksum
from tenants.models import Workspace

INVALID = "A valid access token with the dcr_register scope is required to register a client."


def authenticate(*, workspace: Workspace, authorization: str) -> AccessToken:
    """The workspace's live access token in ``authorization``, carrying ``dcr_register``.

    Unknown, expired, revoked or another workspace's token: 401 invalid_token (RFC 6750 §3.1);
    no Bearer credentials at all: 401 with the bare challenge. A valid token without the scope:
    403 insufficient_scope.
    """
    token = parse_bearer(authorization)
    if token is None:
        if not offers_bearer(authorization):
            raise MissingCredentials(INVALID, realm=workspace.label)
        raise InvalidToken(INVALID)
    record = access_token_by_checksum(workspace=workspace, checksum=crypto.token_digest(token))
    if record is None or record.is_expired():
        raise InvalidToken(INVALID)
    if DCR_REGISTER_SCOPE not in record.scope.split():
        raise InsufficientScope("The access token does not carry the dcr_register scope.")
    return record


def consume(*, token: AccessToken) -> None:
    """Terminate the token; InvalidToken if a parallel registration consumed it first."""
    # One DELETE (and the refresh-token link set to NULL), not Django's collector.
    if not statements.consume_access_token(token=token):
        raise InvalidToken("The access token was already used for another registration.")
