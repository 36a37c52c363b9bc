"""Every API path answers JSON: error pages Django or DOT would render as HTML become JSON errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse, JsonResponse

from dcr_server.headers import NO_STORE

HTML_PREFIXES = ("/admin/", "/accounts/", "/static/")
HTML_SUFFIXES = ("/oauth2/authorize",)  # a browser page: DOT renders its errors for people
PRESERVED_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After")

ERROR_CODES = {
    HTTPStatus.NOT_FOUND: "not_found",
    HTTPStatus.METHOD_NOT_ALLOWED: "invalid_request",
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "invalid_request",
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE: "invalid_request",
    HTTPStatus.TOO_MANY_REQUESTS: "too_many_requests",
}


# RFC 6749 §5.2 / RFC 6750 §3.1 / RFC 7009 §2.2.1 codes, described for clients that show them.
OAUTH_ERROR_DESCRIPTIONS = {
    "invalid_request": "The request is missing a parameter or is otherwise malformed.",
    "invalid_client": "Client authentication failed.",
    "invalid_grant": "The grant, code or refresh token is invalid, expired or revoked.",
    "unauthorized_client": "The client is not allowed to use this grant type.",
    "unsupported_grant_type": "The grant type is not supported.",
    "invalid_scope": "The requested scope is invalid or exceeds what the client may have.",
    "invalid_token": "The access token is invalid, expired or revoked.",
    "insufficient_scope": "The access token does not carry the required scope.",
    "unsupported_token_type": "The token type cannot be revoked.",
    "access_denied": "The request was denied.",
    "server_error": "The server could not complete the request.",
}


def is_api_path(path: str) -> bool:
    return not path.startswith(HTML_PREFIXES) and not path.endswith(HTML_SUFFIXES)


def _is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").split(";")[0].strip().lower() == "application/json"


def _json_error_body(response: HttpResponse) -> dict[str, object] | None:
    if not _is_json(response) or getattr(response, "streaming", False):
        return None
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return None
    return body if isinstance(body, dict) and "error" in body else None


def json_error(status: int, description: str | None = None) -> JsonResponse:
    http_status = HTTPStatus(status)
    code = ERROR_CODES.get(http_status, "server_error" if status >= 500 else "invalid_request")
    return JsonResponse(
        {"error": code, "error_description": description or http_status.phrase + "."},
        status=status,
        headers=NO_STORE,
    )


class JSONErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or not is_api_path(request.path):
            return response
        body = _json_error_body(response)
        if body is not None:
            if not body.get("error_description"):
                # Every error carries a description (DOT/oauthlib often send only the code).
                code = str(body["error"])
                body["error_description"] = OAUTH_ERROR_DESCRIPTIONS.get(
                    code, "The request failed."
                )
                response.content = json.dumps(body).encode()
                if response.has_header("Content-Length"):
                    response["Content-Length"] = str(len(response.content))
            return response
        replacement = json_error(response.status_code)
        for header in PRESERVED_HEADERS:
            if header in response:
                replacement[header] = response[header]
        return replacement
