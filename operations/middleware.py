"""The outermost middleware: request id, timing, the access log line, and the probe endpoints.

First in ``MIDDLEWARE``, so everything inside it (JSON errors rendered by other middleware, a
503 from the database guard, a 500) is timed and carries ``X-Request-ID``. It does no I/O and
takes no lock of its own on the way: a context variable, two clock reads, one histogram
observation (prometheus-client's per-process value lock) and one log record.

``/health/live``, ``/health/ready`` and ``/metrics`` are answered here, before host validation,
sessions, CSRF and the HTTPS redirect (see ``operations.health``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from operations import exposition, health, metrics
from operations.app_settings import access_log_enabled
from operations.logs import ACCESS_LOGGER
from operations.request_id import HEADER, META_KEY, accept_or_new, bind, unbind

access_logger = logging.getLogger(ACCESS_LOGGER)

Endpoint = Callable[[HttpRequest], HttpResponse]

# path -> (the histogram's view label, the view)
ENDPOINTS: dict[str, tuple[str, Endpoint]] = {
    "/health/live": ("health-live", health.live),
    "/health/ready": ("health-ready", health.ready),
    "/metrics": ("metrics", exposition.metrics),
}

UNMATCHED = "unmatched"  # no URL pattern matched (a 404 from the resolver)


def view_label(request: HttpRequest) -> str:
    """The matched URL pattern's name (``register``, ``admin:index``), else its route; never the
    raw path, which holds client ids and could be anything a client sends."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNMATCHED
    if match.url_name:
        name: str = match.view_name
        return name
    route: str = match.route
    return route or UNMATCHED


class OperationsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.access_log = access_log_enabled()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = accept_or_new(request.META.get(META_KEY))
        token = bind(request_id)
        started = time.perf_counter()
        try:
            endpoint = ENDPOINTS.get(request.path_info)
            if endpoint is not None:
                view, handler = endpoint
                response = handler(request)
                response["X-Content-Type-Options"] = "nosniff"
            else:
                response = self.get_response(request)
                view = view_label(request)
            seconds = time.perf_counter() - started
            response[HEADER] = request_id
            status = response.status_code
            metrics.request_finished(
                view=view, method=request.method, status=status, seconds=seconds
            )
            if self.access_log and endpoint is None:
                access_logger.info(
                    "%s %s %s %.1fms",
                    request.method,
                    view,
                    status,
                    seconds * 1000,
                    extra={
                        "method": request.method,
                        "route": view,
                        "status": status,
                        "duration": round(seconds, 6),
                        "remote_addr": request.META.get("REMOTE_ADDR"),
                    },
                )
            return response
        finally:
            unbind(token)
