"""DOT's URLs under ``/o/`` (register, token, metadata) and the same trivial view as ours."""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path


def trivial(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


urlpatterns = [
    path("bench/trivial", trivial),
    path("o/", include("oauth2_provider.urls")),
]
