"""One handler renders every API error as ``{"error", "error_description"}`` (RFC 6749 §5.2 style)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response

from dcr_server.headers import NO_STORE
from registration.errors import (
    InvalidClientMetadata,
    InvalidRequest,
    NotFound,
    RegistrationError,
    RequestTooLarge,
    UnsupportedMediaType,
)


def error_response(error: RegistrationError) -> Response:
    body = {"error": error.error, "error_description": error.description}
    return Response(body, status=int(error.status), headers={**NO_STORE, **error.headers()})


def as_registration_error(exc: Exception) -> RegistrationError | None:
    if isinstance(exc, RegistrationError):
        return exc
    if isinstance(exc, RequestDataTooBig):
        return RequestTooLarge()
    if isinstance(exc, drf.ParseError):
        # RFC 7591 §3.2.2: a body that is not client metadata is invalid_client_metadata.
        return InvalidClientMetadata(str(exc.detail))
    if isinstance(exc, drf.UnsupportedMediaType):
        return UnsupportedMediaType()
    if isinstance(exc, Http404 | drf.NotFound):
        return NotFound()
    if isinstance(exc, drf.APIException | PermissionDenied):
        error = InvalidRequest(str(getattr(exc, "detail", "The request was refused.")))
        error.status = HTTPStatus(getattr(exc, "status_code", HTTPStatus.FORBIDDEN))
        return error
    return None


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    error = as_registration_error(exc)
    if error is None:
        return None  # a server bug: Django's handler500 answers JSON
    return error_response(error)
