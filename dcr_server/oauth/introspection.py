"""RFC 7662 token introspection, scoped to the workspace and to what the caller may know.

RFC 7662 §4: the server decides which protected resources may learn about which tokens.
Here a client created by an administrator (``registration_source`` manual: a resource server)
may introspect any token of its workspace; any other client (self-registered by DCR, or known by
a Client ID Metadata Document) learns ``active: true`` only for tokens issued to itself, so one
anonymous registration cannot probe another client's tokens.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from oauth2_provider.models import RefreshToken
from oauth2_provider.settings import oauth2_settings

from dcr_server import crypto
from dcr_server.oauth.subjects import subject_for
from registration.models import Client
from registration.selectors import access_token_by_checksum
from tenants.models import Workspace

INACTIVE: dict[str, Any] = {"active": False}


def may_introspect_any_token(caller: Client) -> bool:
    """Resource servers are created by an administrator; nothing else sees others' tokens."""
    return bool(caller.registration_source == Client.RegistrationSource.MANUAL)


def introspect(
    *, workspace: Workspace, issuer: str, token: str, hint: str | None, caller: Client
) -> dict[str, Any]:
    """RFC 7662 §2.2: ``{"active": false}`` for anything unknown, expired, revoked or foreign,
    and (§4) for a token the caller may not learn about."""
    if not token or len(token) > 4096:
        return dict(INACTIVE)
    lookups = [_access_token_info, _refresh_token_info]
    if hint == "refresh_token":  # RFC 7662 §2.1: the hint only orders the search
        lookups.reverse()
    checksum = crypto.token_digest(token)  # how DOT stores both kinds of token
    for lookup in lookups:
        info = lookup(workspace, checksum)
        if info is not None:
            if info["active"] and not (
                may_introspect_any_token(caller) or info["client_id"] == caller.client_id
            ):
                # RFC 7662 §4: "the authorization server MAY respond with an inactive token
                # response" to a caller that is not allowed to know about the token.
                return dict(INACTIVE)
            if info["active"]:  # an inactive answer carries nothing but "active" (§2.2)
                info["iss"] = issuer
            return info
    return dict(INACTIVE)


def _access_token_info(workspace: Workspace, checksum: str) -> dict[str, Any] | None:
    token = access_token_by_checksum(workspace=workspace, checksum=checksum)
    if token is None:
        return None
    if token.is_expired():
        return dict(INACTIVE)
    info: dict[str, Any] = {
        "active": True,
        "scope": token.scope,
        "client_id": token.application.client_id,
        "token_type": "Bearer",
        "exp": int(token.expires.timestamp()),
        "iat": int(token.created.timestamp()),
    }
    if token.user is not None:
        info["sub"] = subject_for(
            workspace=workspace, user_pk=token.user.pk, client=token.application
        )
        info["username"] = token.user.get_username()
    audience = token.resource or []
    if audience:
        # RFC 8707 §2 / RFC 7662 §2.2: the resources the token is for are its audience; one
        # audience as a string, several as an array (the two forms of RFC 7519 §4.1.3).
        info["aud"] = audience[0] if len(audience) == 1 else list(audience)
    return info


def _refresh_token_info(workspace: Workspace, checksum: str) -> dict[str, Any] | None:
    token = (
        RefreshToken.objects.select_related("application", "user", "access_token")
        .filter(token_checksum=checksum, application__workspace=workspace, revoked__isnull=True)
        .first()
    )
    if token is None:
        return None
    lifetime = oauth2_settings.REFRESH_TOKEN_EXPIRE_SECONDS
    expires_at = token.created + timedelta(seconds=lifetime) if lifetime else None
    if expires_at is not None and expires_at <= timezone.now():
        return dict(INACTIVE)
    info: dict[str, Any] = {
        "active": True,
        "client_id": token.application.client_id,
        "token_type": "refresh_token",
        "iat": int(token.created.timestamp()),
    }
    if expires_at is not None:
        info["exp"] = int(expires_at.timestamp())
    if token.access_token is not None:
        info["scope"] = token.access_token.scope
    if token.user is not None:
        info["sub"] = subject_for(
            workspace=workspace, user_pk=token.user.pk, client=token.application
        )
        info["username"] = token.user.get_username()
    return info
