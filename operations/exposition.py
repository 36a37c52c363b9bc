"""``GET /metrics``: the Prometheus text exposition, only to peers inside the allowed networks.

The peer is the connection's own address (``REMOTE_ADDR``), never ``X-Forwarded-For``: a client
could write that header itself. Any other peer gets the same 404 as an unknown path, so the
endpoint's existence is not advertised.

Under gunicorn (``PROMETHEUS_MULTIPROC_DIR`` set, see ``operations.gunicorn``) the answer sums
the values every worker process wrote, so it is the same whichever worker serves the scrape.
"""

from __future__ import annotations

import ipaddress
import os
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector

from dcr_server.headers import NO_STORE
from dcr_server.middleware import json_error
from operations.app_settings import metrics_allowed_networks

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def peer_allowed(remote_addr: str) -> bool:
    try:
        peer = ipaddress.ip_address(remote_addr.strip())
    except ValueError:
        return False
    if isinstance(peer, ipaddress.IPv6Address) and peer.ipv4_mapped is not None:
        peer = peer.ipv4_mapped  # ::ffff:127.0.0.1 on a dual-stack socket is 127.0.0.1
    return any(peer in network for network in metrics_allowed_networks())


def scrape_registry() -> CollectorRegistry:
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return registry
    return REGISTRY


def metrics(request: HttpRequest) -> HttpResponse:
    if not peer_allowed(request.META.get("REMOTE_ADDR", "")):
        return json_error(HTTPStatus.NOT_FOUND)
    if request.method not in ("GET", "HEAD"):
        response = json_error(HTTPStatus.METHOD_NOT_ALLOWED)
        response["Allow"] = "GET, HEAD"
        return response
    return HttpResponse(
        generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST, headers=NO_STORE
    )
