"""The shared base of the registration endpoints: guards, parsing, audit of refusals, limits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.utils.http import parse_header_parameters
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dcr_server.headers import NO_STORE
from registration import audit
from registration.api.errors import as_registration_error
from registration.api.parsers import JOSEParser, JWTParser, StrictJSONParser
from registration.audit import RequestInfo
from registration.bearer import offers_bearer, parse_bearer
from registration.client_ip import client_ip
from registration.errors import (
    InvalidClientMetadata,
    InvalidRequest,
    InvalidToken,
    MissingCredentials,
    NotFound,
    RequestTooLarge,
    UnsupportedMediaType,
)
from registration.intake import JWT_MEDIA_TYPES, Submission, read_submission
from registration.models import DCRSettings
from registration.selectors import dcr_settings_for
from registration.tokens import INVALID_TOKEN_DESCRIPTION
from tenants.context import current_context, current_workspace
from tenants.models import Workspace

ACCEPTED_MEDIA_TYPES = frozenset({"application/json"}) | JWT_MEDIA_TYPES


class JSONOnlyNegotiation(DefaultContentNegotiation):
    """Always answer JSON, whatever the Accept header asks (errors included)."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, str(renderer.media_type)


def bearer_token(request: Request, *, realm: str) -> str:
    """RFC 6750 §2.1: ``Authorization: Bearer <token>`` (scheme matched case-insensitively).

    No Bearer credentials at all: the bare challenge naming ``realm`` (RFC 6750 §3.1)."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    token = parse_bearer(header)
    if token is None:
        if not offers_bearer(header):
            raise MissingCredentials(INVALID_TOKEN_DESCRIPTION, realm=realm)
        raise InvalidToken(INVALID_TOKEN_DESCRIPTION)
    return token


class DCRView(APIView):
    """Shared guards: DCR enabled for the workspace, body size and content type.

    Every refusal (except the 404 of a workspace without DCR) is written to the audit trail.
    """

    operation = ""  # register, read, update or delete: what a refused request attempted

    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    parser_classes = [StrictJSONParser, JWTParser, JOSEParser]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONOnlyNegotiation

    @property
    def workspace(self) -> Workspace:
        return current_workspace()

    @property
    def dcr_settings(self) -> DCRSettings:
        return dcr_settings_for(workspace=self.workspace)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if not self.dcr_settings.enabled:
            raise NotFound("Dynamic client registration is not enabled for this workspace.")
        if request.method in ("POST", "PUT"):
            self._check_body(request)

    def _check_body(self, request: Request) -> None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise InvalidRequest("Content-Length is not a number.") from None
        limit: int = settings.DCR_MAX_BODY_BYTES
        if length > limit:
            raise RequestTooLarge(f"The request body exceeds {limit} bytes.")
        if media_type_of(request) not in ACCEPTED_MEDIA_TYPES:
            raise UnsupportedMediaType(
                "Send the client metadata as application/json (or a signed application/jwt)."
            )
        if length == 0:
            # RFC 7591 §3.1: the body is a JSON object of client metadata; none was sent.
            raise InvalidClientMetadata(
                "The request body is empty; send a JSON object of client metadata."
            )

    def submission(self, request: Request) -> Submission:
        """The verified metadata of a POST or PUT (signed body and software statement checked)."""
        issuer = current_context().issuer
        return read_submission(
            settings=self.dcr_settings,
            body=request.data,
            media_type=media_type_of(request),
            audiences={issuer, f"{issuer}/oauth2/register"},
        )

    def request_info(self, request: Request, submission: Submission | None = None) -> RequestInfo:
        protections = []
        dcr = self.dcr_settings
        if self.operation == "register" and dcr.protect_by_access_token:
            protections.append("access_token")
        if submission is not None and submission.software_statement is not None:
            protections.append("software_statement")
        if submission is not None and submission.signed_request:
            protections.append("signed_request")
        return RequestInfo(
            source_ip=client_ip(request._request) or None,
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            actor="api",
            protection=",".join(protections),
            software_statement_issuer=(submission.software_statement_issuer or "")
            if submission
            else "",
        )

    def handle_exception(self, exc: Exception) -> Response:
        error = as_registration_error(exc)
        if error is not None and not isinstance(error, NotFound):
            audit.record_refusal(
                workspace=self.workspace,
                operation=self.operation or (self.request.method or "").lower(),
                error=error,
                info=self.request_info(self.request),
                client_id=str(self.kwargs.get("client_id", ""))[:255],
            )
        return super().handle_exception(exc)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        # RFC 7591 §3.2.1 / RFC 7592 §3: responses carrying secrets are not cached.
        for header, value in NO_STORE.items():
            response[header] = value
        return response


def media_type_of(request: Request) -> str:
    media_type, _ = parse_header_parameters(request.META.get("CONTENT_TYPE", ""))
    return media_type.lower()
