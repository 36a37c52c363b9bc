"""RFC 8707 resource indicators: what a ``resource`` value may be, the workspace's list, and the
validator methods that bind access tokens to the resources (their audience).

Built on django-oauth-toolkit 3.4.1, which already stores ``resource`` on grants, access and
refresh tokens (JSON lists) and parses repeated parameters; this module adds what a
per-workspace server needs on top:

- the workspace's list of resource indicators (``Workspace.resource_indicators``): while it is
  not empty any other resource is ``invalid_target``, at authorize and at token;
- the checks run while oauthlib validates a request (custom validators, see
  ``dcr_server/oauth/server.py``), so a refused resource is an error redirect at authorize, and
  at token is refused before DOT writes anything (DOT checks inside ``save_bearer_token``,
  after the ID token row is written);
- a refresh token stays bound to the resources of its grant, so a narrowed access token never
  narrows (or widens) what later refreshes may ask for (RFC 8707 §2.2).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from oauth2_provider.models import Grant
from oauthlib.common import Request
from oauthlib.oauth2.rfc6749.errors import OAuth2Error

from tenants.context import current_workspace
from tenants.resource_indicators import resource_problem

MAX_RESOURCES = 10
"""Size sanity: more resources than this in one request are refused."""

_DESCRIPTION_CHARS = frozenset(chr(c) for c in range(0x20, 0x7F)) - {'"', "\\"}


class InvalidTargetError(OAuth2Error):
    """RFC 8707 §2: "The requested resource is invalid, missing, unknown, or malformed"."""

    error = "invalid_target"
    status_code = 400


def _echo(value: str) -> str:
    # RFC 6749 §5.2: error_description is limited to %x20-21 / %x23-5B / %x5D-7E.
    text = "".join(ch if ch in _DESCRIPTION_CHARS else "?" for ch in value[:80])
    return text + ("..." if len(value) > 80 else "")


def check_resources(resources: Sequence[object], *, allowed: Sequence[str]) -> None:
    """Raise :class:`InvalidTargetError` unless every value is a resource indicator this
    workspace accepts (``allowed`` empty: any)."""
    if len(resources) > MAX_RESOURCES:
        raise InvalidTargetError(description=f"At most {MAX_RESOURCES} resource values.")
    for value in resources:
        problem = resource_problem(value)
        if problem is not None:
            shown = _echo(value) if isinstance(value, str) else type(value).__name__
            # RFC 8707 §2: a malformed resource is invalid_target.
            raise InvalidTargetError(description=f"resource '{shown}' {problem}.")
        if allowed and value not in allowed:
            # CONTRACT: while the workspace lists resources, any other one is invalid_target.
            raise InvalidTargetError(
                description=f"resource '{_echo(str(value))}' is not a resource of this server."
            )


def authorization_resources(request: Request) -> list[str]:
    """The ``resource`` values of an authorization request.

    On the consent POST DOT passes them as a list in the credentials; on the GET they are the
    repeated query parameter (oauthlib's request keeps only the last value of a repeated one).
    """
    sent = getattr(request, "resource", None)
    if isinstance(sent, list):
        return sent
    query = urlsplit(request.uri).query
    return [value for key, value in parse_qsl(query, keep_blank_values=True) if key == "resource"]


def check_authorization_resources(request: Request) -> dict[str, Any]:
    """oauthlib ``post_auth`` validator: runs once the client and redirect URI are known good,
    so a refusal is an error redirect carrying ``state`` (RFC 8707 §2, RFC 6749 §4.1.2.1)."""
    try:
        check_resources(
            authorization_resources(request), allowed=current_workspace().resource_indicators
        )
    except InvalidTargetError as error:
        raise InvalidTargetError(description=error.description, request=request) from None
    return {}


class ResourceIndicatorsMixin:
    """RFC 8707 methods of the workspace validator (token endpoint side)."""

    def _validate_resource_uris(self, request: Request, resources: Sequence[object]) -> None:
        # DOT calls this for requested and for inherited (grant, refresh token) values.
        try:
            check_resources(resources, allowed=current_workspace().resource_indicators)
        except InvalidTargetError as error:
            raise InvalidTargetError(description=error.description, request=request) from None

    def check_token_resources(self, request: Request) -> None:
        """oauthlib ``post_token`` validator: the token request's resources, before anything is
        written (DOT's own call in ``save_bearer_token`` then finds them checked)."""
        self._check_and_set_request_resource(request)

    def _check_and_set_request_resource(self, request: Request) -> None:
        if getattr(request, "resources_checked", False):
            return
        super()._check_and_set_request_resource(request)  # type: ignore[misc]
        request.bound_resources = self._grant_resources(request)
        request.resources_checked = True

    def _grant_resources(self, request: Request) -> list[str]:
        """What the refresh token issued now is bound to (RFC 8707 §2.2): the resources of the
        grant when it named any, else what this request named (a narrowing sticks)."""
        if request.grant_type == "authorization_code":
            granted = (
                Grant.objects.filter(code=request.code, application=request.client)
                .values_list("resource", flat=True)
                .first()
            )
        elif request.grant_type == "refresh_token":
            previous = getattr(request, "refresh_token_instance", None)
            granted = previous.resource if previous is not None else None
        else:
            granted = None
        return list(granted or request.resource or [])

    def _create_refresh_token(
        self,
        request: Request,
        refresh_token_code: str,
        access_token: Any,
        previous_refresh_token: Any,
    ) -> Any:
        # DOT binds a new refresh token to the (possibly narrowed) access token's resources;
        # RFC 8707 §2.2: the refresh token keeps the grant's, each access token is narrowed.
        narrowed = request.resource
        request.resource = getattr(request, "bound_resources", narrowed)
        try:
            return super()._create_refresh_token(  # type: ignore[misc]
                request, refresh_token_code, access_token, previous_refresh_token
            )
        finally:
            request.resource = narrowed
