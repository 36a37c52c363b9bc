"""gunicorn's threaded worker, answering the requests gunicorn itself refuses with JSON.

gunicorn parses the request head before Django sees it. A request line over
``limit_request_line``, too many or too long header fields, a malformed request line, an
invalid header name or value, or a bad chunked body are refused by gunicorn's
``Worker.handle_error``, which writes an HTML page (``gunicorn.util.write_error``). The API
promises ``{"error", "error_description"}`` on every answer, so this worker keeps gunicorn's
status codes and writes the JSON error instead. The description is fixed per status: it never
echoes the hostile bytes (gunicorn's own message quotes them).
"""

from __future__ import annotations

import json
import ssl
from http import HTTPStatus
from typing import Any

from gunicorn.http import errors
from gunicorn.workers.gthread import ThreadWorker

# gunicorn's mapping (gunicorn.workers.base.Worker.handle_error), most specific first.
_CLIENT_ERRORS: tuple[tuple[type[BaseException], HTTPStatus], ...] = (
    (errors.LimitRequestLine, HTTPStatus.REQUEST_URI_TOO_LONG),
    (errors.LimitRequestHeaders, HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE),
    (errors.ExpectationFailed, HTTPStatus.EXPECTATION_FAILED),
    (errors.ForbiddenProxyRequest, HTTPStatus.FORBIDDEN),
    (errors.UnsupportedTransferCoding, HTTPStatus.NOT_IMPLEMENTED),
    (errors.ConfigurationProblem, HTTPStatus.INTERNAL_SERVER_ERROR),
    # A header the application tried to send is the application's fault (gunicorn >= 24).
    *(
        (error_class, HTTPStatus.INTERNAL_SERVER_ERROR)
        for name in ("InvalidResponseHeader", "InvalidResponseHeaderName")
        if (error_class := getattr(errors, name, None)) is not None
    ),
    (errors.ParseException, HTTPStatus.BAD_REQUEST),
    (ssl.SSLError, HTTPStatus.FORBIDDEN),
)

DESCRIPTIONS = {
    HTTPStatus.BAD_REQUEST: "The request is not valid HTTP/1.1.",
    HTTPStatus.REQUEST_URI_TOO_LONG: "The request line is too long.",
    HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE: "The request has too many or too large header fields.",
    HTTPStatus.EXPECTATION_FAILED: "The Expect header is not supported.",
    HTTPStatus.FORBIDDEN: "The request is forbidden.",
    HTTPStatus.NOT_IMPLEMENTED: "The transfer coding is not supported.",
    HTTPStatus.INTERNAL_SERVER_ERROR: "The server could not complete the request.",
}


def status_for(exc: BaseException) -> HTTPStatus:
    """The status gunicorn would answer for ``exc`` (500 for anything not a client error)."""
    for error_class, status in _CLIENT_ERRORS:
        if isinstance(exc, error_class):
            return status
    return HTTPStatus.INTERNAL_SERVER_ERROR


def json_error_response(status: HTTPStatus) -> bytes:
    """A complete HTTP/1.1 response: the JSON error, ``Connection: close``, ``no-store``."""
    code = "server_error" if status >= HTTPStatus.INTERNAL_SERVER_ERROR else "invalid_request"
    body = json.dumps({"error": code, "error_description": DESCRIPTIONS[status]}).encode()
    head = (
        f"HTTP/1.1 {status.value} {status.phrase}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        "Cache-Control: no-store\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


class JSONErrorThreadWorker(ThreadWorker):
    """``gthread`` with JSON instead of HTML for the errors gunicorn answers itself."""

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        status = status_for(exc)
        ip = (addr or ("", -1))[0] if isinstance(addr, tuple) else addr
        if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            self.log.exception("Error handling request from ip=%s", ip)
        else:
            # The class only: gunicorn's message quotes the offending request bytes.
            self.log.warning("Invalid request from ip=%s: %s", ip, type(exc).__name__)
        try:
            client.setblocking(True)
            client.settimeout(5)
            client.sendall(json_error_response(status))
        except OSError:
            self.log.debug("Failed to send the error response.")
