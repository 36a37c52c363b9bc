"""DOT's OAuth2 validator, scoped to the workspace of the current request.

Every client and token lookup is filtered by the active workspace, so a client of one workspace is
unknown in every other (token, revocation, introspection and userinfo endpoints alike).
"""

from __future__ import annotations

import hmac
import logging
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.common import Request

from dcr_server import crypto
from dcr_server.oauth.browser import BrowserRequestsMixin
from dcr_server.oauth.client_assertion import (
    JWT_BEARER,
    AssertionRejected,
    assertion_subject,
    authenticate_assertion,
)
from dcr_server.oauth.resources import ResourceIndicatorsMixin
from dcr_server.oauth.subjects import subject_for
from dcr_server.prepared import PreparedInsert, PreparedLookup, PreparedUpdate
from operations import metrics
from registration.audit import RequestInfo
from registration.cimd import is_cimd_client_id, resolve_cimd_client
from registration.client_ip import client_ip_from_meta
from registration.models import Client
from registration.selectors import access_token_by_checksum
from tenants.context import current_context, current_workspace

log = logging.getLogger(__name__)

_ACCESS_TOKEN_INSERT: PreparedInsert[AccessToken] = PreparedInsert(AccessToken)
_TOUCH_LAST_USED: PreparedUpdate[Client] = PreparedUpdate(
    Client, fields=("last_used_at",), where=("id",)
)

# Client authentication on every token, revocation and introspection request: compiled once.
# client_id is unique per workspace, so at most one row.
_CLIENT_BY_ID: PreparedLookup[Client] = PreparedLookup(
    lambda workspace_id, client_id: Client.objects.filter(
        workspace_id=workspace_id, client_id=client_id
    ).order_by(),
    workspace_id=int,
    client_id=str,
)

MAX_CLIENT_ID_LENGTH = 255
LAST_USED_GRANULARITY = timedelta(minutes=1)


def _client_assertion(request: Request) -> str | None:
    assertion = getattr(request, "client_assertion", None)
    return assertion if isinstance(assertion, str) and assertion else None


def _request_info(request: Request) -> RequestInfo:
    """Where an OAuth request came from, for the CIMD audit trail (oauthlib keeps the WSGI
    environment as its headers)."""
    headers = request.headers or {}
    return RequestInfo(
        source_ip=client_ip_from_meta(headers) or None,
        user_agent=str(headers.get("HTTP_USER_AGENT", ""))[:255],
        actor="cimd",
    )


def _plausible_client_id(client_id: Any) -> bool:
    return (
        isinstance(client_id, str)
        and 0 < len(client_id) <= MAX_CLIENT_ID_LENGTH
        and "\x00" not in client_id
    )


# RFC 8707 resources and the browser-facing answers (prompt=none, CORS) live in their mixins,
# apart from the client lookup and authentication below.
class WorkspaceOAuth2Validator(ResourceIndicatorsMixin, BrowserRequestsMixin, OAuth2Validator):
    def _extract_basic_auth(self, request: Request) -> str | None:
        # RFC 7617 §2 / RFC 7235 §2.1: the auth-scheme name is case-insensitive.
        auth = request.headers.get("HTTP_AUTHORIZATION", None)
        if not auth:
            return None
        scheme, _, credentials = auth.strip().partition(" ")
        credentials = credentials.strip()
        # Base64 is ASCII: anything else is not credentials (and must not reach a 500).
        if scheme.lower() != "basic" or not credentials or not credentials.isascii():
            return None
        return credentials

    def _load_application(self, client_id: str, request: Request) -> Client | None:
        if not _plausible_client_id(client_id):
            return None
        workspace = current_workspace()
        cached = request.client
        if (
            isinstance(cached, Client)
            and cached.client_id == client_id
            and cached.workspace_id == workspace.pk
            and cached.is_usable(request)
        ):
            return cached
        request.client = None
        client = _CLIENT_BY_ID.first(workspace_id=workspace.pk, client_id=client_id)
        if is_cimd_client_id(client_id):
            # The one CIMD hook: a client_id URL is resolved from its metadata document
            # (registration/cimd/), wherever a client_id is accepted.
            client = resolve_cimd_client(
                workspace=workspace, client_id=client_id, stored=client, info=_request_info(request)
            )
        if client is None or not client.is_usable(request):
            return None
        client.workspace = workspace  # the row's own workspace (the filter), tenant loaded
        request.client = client
        return client

    def _check_secret(self, provided_secret: str, stored_secret: str) -> bool:
        # Constant-time comparison of the decrypted secret: microseconds, no password hash.
        if not stored_secret or not isinstance(provided_secret, str):
            return False
        return hmac.compare_digest(
            provided_secret.encode("utf-8", "surrogatepass"), stored_secret.encode("utf-8")
        )

    def _authenticate_basic_auth(self, request: Request) -> bool:
        # RFC 6749 §2.3.1 (credentials form-urlencoded, then Basic) is done by DOT; the client must
        # also have registered this method (RFC 7591 §2, token_endpoint_auth_method).
        if not super()._authenticate_basic_auth(request):
            return False
        return bool(request.client.token_endpoint_auth_method == "client_secret_basic")

    def _authenticate_request_body(self, request: Request) -> bool:
        if not super()._authenticate_request_body(request):
            return False
        return bool(request.client.token_endpoint_auth_method == "client_secret_post")

    def client_authentication_required(self, request: Request, *args: Any, **kwargs: Any) -> bool:
        if _client_assertion(request) is not None:
            return True
        return bool(super().client_authentication_required(request, *args, **kwargs))

    def authenticate_client(self, request: Request, *args: Any, **kwargs: Any) -> bool:
        assertion = _client_assertion(request)
        if assertion is None:
            return bool(super().authenticate_client(request, *args, **kwargs))
        return self._authenticate_with_assertion(request, assertion)

    def _authenticate_with_assertion(self, request: Request, assertion: str) -> bool:
        """RFC 7523 §2.2: ``client_assertion_type`` jwt-bearer with a signed ``client_assertion``."""
        if getattr(request, "client_assertion_type", None) != JWT_BEARER:
            return False
        try:
            client_id = assertion_subject(assertion)
            # RFC 7521 §4.2: a client_id parameter, when sent, must name the same client.
            sent_id = request.client_id
            if sent_id and sent_id != client_id:
                return False
            client = self._load_application(client_id, request)
            if client is None:
                return False
            issuer = current_context().issuer
            audiences = {issuer, f"{issuer}/oauth2/token", request.uri.split("?")[0]}
            authenticate_assertion(client=client, assertion=assertion, audiences=audiences)
        except AssertionRejected as exc:
            log.debug("client assertion rejected: %s", exc)  # a reason, never the assertion
            request.client = None
            return False
        request.client_id = client_id
        return True

    def authenticate_client_id(
        self, client_id: str, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        # A public client (token_endpoint_auth_method "none") identifies itself by client_id only.
        client = self._load_application(client_id, request)
        return client is not None and client.token_endpoint_auth_method == "none"

    def validate_grant_type(
        self,
        client_id: str,
        grant_type: str,
        client: Client,
        request: Request,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        # RFC 7591 §2: the client may use only the grant types it registered.
        return grant_type in request.client.grant_types

    def validate_response_type(
        self,
        client_id: str,
        response_type: str,
        client: Client,
        request: Request,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        # RFC 7591 §2: only registered response types; this server offers "code" alone.
        return response_type == "code" and "code" in client.response_types

    def save_bearer_token(
        self, token: dict[str, Any], request: Request, *args: Any, **kwargs: Any
    ) -> Any:
        client: Client = request.client
        # A refresh token only for a client that registered the refresh_token grant (RFC 7591 §2).
        if "refresh_token" not in client.grant_types:
            token.pop("refresh_token", None)
        result = super().save_bearer_token(token, request, *args, **kwargs)
        self._touch_last_used(client)
        metrics.token_issued(grant_type=request.grant_type)  # the request's workspace
        return result

    def _create_access_token(
        self,
        expires: datetime,
        request: Request,
        token: dict[str, Any],
        source_refresh_token: RefreshToken | None = None,
    ) -> AccessToken:
        # DOT's own row (RFC 9700 checksum storage, RFC 8707 resource), with the INSERT compiled
        # once per database instead of on every token request (dcr_server/prepared.py).
        id_token = token.get("id_token")
        access_token = AccessToken(
            user=request.user,
            scope=token["scope"],
            expires=expires,
            id_token=self._load_id_token(id_token) if id_token else None,
            application=request.client,
            source_refresh_token=source_refresh_token,
            resource=getattr(request, "resource", []),
        )
        self._set_token_value(access_token, token["access_token"])
        return _ACCESS_TOKEN_INSERT.insert(access_token)

    def _touch_last_used(self, client: Client) -> None:
        now = timezone.now()
        if client.last_used_at is None or now - client.last_used_at > LAST_USED_GRANULARITY:
            _TOUCH_LAST_USED.run(values={"last_used_at": now}, where={"id": client.pk})
            client.last_used_at = now

    def validate_refresh_token(
        self, refresh_token: str, client: Client, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        """DOT's check, for refresh tokens of this workspace only.

        DOT looks a refresh token up by its checksum alone and, when it is a replayed (revoked)
        one, revokes its whole family (RFC 9700 §4.14.2) before it compares the clients. A token
        of another workspace is unknown here (RFC 6749 §5.2 ``invalid_grant``), so a request to
        one workspace never reads or revokes another's tokens; within the workspace, DOT's
        reuse detection applies as it is.
        """
        if not RefreshToken.objects.filter(
            token_checksum=crypto.token_digest(refresh_token),
            application__workspace_id=client.workspace_id,
        ).exists():
            return False
        valid: bool = super().validate_refresh_token(
            refresh_token, client, request, *args, **kwargs
        )
        return valid

    def _load_access_token(self, token: str) -> AccessToken | None:
        return access_token_by_checksum(
            workspace=current_workspace(), checksum=crypto.token_digest(token)
        )

    def get_claim_dict(self, request: Request) -> dict[str, Any]:
        """OIDC Core §8: ``sub`` per workspace (pairwise per sector when the workspace says so),
        never the user's database id (dcr_server/oauth/subjects.py)."""
        claims: dict[str, Any] = super().get_claim_dict(request)
        client = getattr(request, "client", None)
        claims["sub"] = subject_for(
            workspace=current_workspace(),
            user_pk=request.user.pk,
            client=client if isinstance(client, Client) else None,
        )
        return claims

    def get_oidc_issuer_endpoint(self, request: Request) -> str:
        # OpenID Connect Core §2: iss is the workspace's issuer.
        return current_context().issuer
