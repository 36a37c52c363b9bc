"""RFC error codes as exceptions: one class per code, carrying its HTTP status.

Pure Python (no Django import) so the metadata validator and the policy evaluator can raise them.
The API layer renders every one of them as ``{"error": ..., "error_description": ...}``.
"""

from __future__ import annotations

from http import HTTPStatus


class RegistrationError(Exception):
    """Base class: an OAuth error response with a fixed code and status."""

    status: HTTPStatus = HTTPStatus.BAD_REQUEST
    error: str = "invalid_request"
    default_description: str = "The request is invalid."

    def __init__(self, description: str | None = None, *, rule: str | None = None) -> None:
        self.description = description or self.default_description
        # The policy key or check that refused, for the audit trail (never shown as a secret).
        self.rule = rule
        super().__init__(self.description)

    def headers(self) -> dict[str, str]:
        return {}


class InvalidRequest(RegistrationError):
    error = "invalid_request"


class InvalidRedirectURI(RegistrationError):
    """RFC 7591 §3.2.2: the value of one or more redirection URIs is invalid."""

    error = "invalid_redirect_uri"
    default_description = "One or more redirect_uris are invalid."


class InvalidClientMetadata(RegistrationError):
    """RFC 7591 §3.2.2: the value of one of the client metadata fields is invalid."""

    error = "invalid_client_metadata"
    default_description = "The client metadata is invalid."


class InvalidSoftwareStatement(RegistrationError):
    """RFC 7591 §3.2.2: the software statement presented is invalid."""

    error = "invalid_software_statement"
    default_description = "The software statement is invalid."


class UnapprovedSoftwareStatement(RegistrationError):
    """RFC 7591 §3.2.2: the software statement is not approved for use by this server."""

    error = "unapproved_software_statement"
    default_description = "The software statement is not approved by this server."


class InvalidToken(RegistrationError):
    """RFC 6750 §3.1 / RFC 7592 §2: missing, unknown, expired or revoked access token."""

    status = HTTPStatus.UNAUTHORIZED
    error = "invalid_token"
    default_description = "The access token is missing, invalid or expired."

    def headers(self) -> dict[str, str]:
        # RFC 6750 §3: a 401 carries a WWW-Authenticate challenge.
        return {"WWW-Authenticate": f'Bearer error="{self.error}"'}


class MissingCredentials(InvalidToken):
    """RFC 6750 §3.1: a request without any Bearer credentials (no Authorization header, or
    another scheme) is told to authenticate, "SHOULD NOT include an error code": the challenge
    names the realm only. The JSON body keeps ``invalid_token`` (RFC 7592 §2, the contract)."""

    def __init__(self, description: str | None = None, *, realm: str) -> None:
        super().__init__(description)
        self.realm = realm

    def headers(self) -> dict[str, str]:
        # The realm is a workspace label (slugs and "/"): nothing to escape in a quoted-string.
        return {"WWW-Authenticate": f'Bearer realm="{self.realm}"'}


class InsufficientScope(RegistrationError):
    """RFC 6750 §3.1: the token does not carry the scope the request needs."""

    status = HTTPStatus.FORBIDDEN
    error = "insufficient_scope"
    default_description = "The access token does not carry the required scope."

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": f'Bearer error="{self.error}", scope="dcr_register"'}


class AccessDenied(RegistrationError):
    status = HTTPStatus.FORBIDDEN
    error = "access_denied"
    default_description = "The registration is refused by the workspace policy."


class NotFound(RegistrationError):
    status = HTTPStatus.NOT_FOUND
    error = "not_found"
    default_description = "Not found."


class RequestTooLarge(RegistrationError):
    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    error = "invalid_request"
    default_description = "The request body is too large."


class UnsupportedMediaType(RegistrationError):
    status = HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    error = "invalid_request"
    default_description = "The request content type is not supported; send application/json."


class TooManyRequests(RegistrationError):
    status = HTTPStatus.TOO_MANY_REQUESTS
    error = "too_many_requests"
    default_description = "Too many requests; retry later."

    def __init__(
        self, description: str | None = None, *, rule: str | None = None, retry_after: int = 60
    ) -> None:
        super().__init__(description, rule=rule)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}
