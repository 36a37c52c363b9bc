"""The production URLs plus ``/bench/trivial``: the floor every benchmark row is compared with."""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path


def trivial(request: HttpRequest) -> JsonResponse:
    """The smallest JSON answer through the same middleware stack as every API view."""
    return JsonResponse({"ok": True})


urlpatterns = [
    path("bench/trivial", trivial),
    path("", include("dcr_server.urls")),
]
