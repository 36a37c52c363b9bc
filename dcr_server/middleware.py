"""Every API path answers JSON: error pages Django or DOT would render as HTML become JSON errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse, JsonResponse

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


def is_api_path(path: str) -> bool:
    return not path.startswith(HTML_PREFIXES) and not path.endswith(HTML_SUFFIXES)


def _is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").split(";")[0].strip().lower() == "application/json"


def _has_json_error_body(response: HttpResponse) -> bool:
    if not _is_json(response) or getattr(response, "streaming", False):
        return False
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return False
    return isinstance(body, dict) and "error" in body


def json_error(status: int, description: str | None = None) -> JsonResponse:
    http_status = HTTPStatus(status)
    code = ERROR_CODES.get(http_status, "server_error" if status >= 500 else "invalid_request")
    return JsonResponse(
        {"error": code, "error_description": description or http_status.phrase + "."},
        status=status,
        headers={"Cache-Control": "no-store"},
    )


class JSONErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or not is_api_path(request.path):
            return response
        if _has_json_error_body(response):
            return response
        replacement = json_error(response.status_code)
        for header in PRESERVED_HEADERS:
            if header in response:
                replacement[header] = response[header]
        return replacement
