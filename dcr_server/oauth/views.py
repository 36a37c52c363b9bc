"""Per-workspace OAuth endpoints: DOT's views behind the workspace resolver, plus discovery,
JWKS and RFC 7662 introspection."""

from __future__ import annotations

from functools import lru_cache

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from oauth2_provider.oauth2_backends import OAuthLibCore, get_oauthlib_core
from oauth2_provider.views import AuthorizationView, RevokeTokenView, TokenView, UserInfoView

from dcr_server.oauth.discovery import discovery_document
from dcr_server.oauth.introspection import introspect
from tenants.context import current_context
from tenants.keys import public_jwks
from tenants.resolve import workspace_view

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

token = workspace_view(TokenView.as_view())
authorize = workspace_view(AuthorizationView.as_view())
revoke = workspace_view(RevokeTokenView.as_view())
userinfo = workspace_view(UserInfoView.as_view())


@require_GET
@workspace_view
def discovery(request: HttpRequest) -> HttpResponse:
    response = JsonResponse(discovery_document(request, current_context().workspace))
    response["Cache-Control"] = "public, max-age=60"
    return response


@require_GET
@workspace_view
def jwks(request: HttpRequest) -> HttpResponse:
    response = JsonResponse(public_jwks(current_context().workspace))
    response["Cache-Control"] = "public, max-age=300"
    return response


@lru_cache(maxsize=1)
def _oauthlib_core() -> OAuthLibCore:
    return get_oauthlib_core()


@csrf_exempt
@require_POST
@workspace_view
def introspection(request: HttpRequest) -> HttpResponse:
    """RFC 7662 §2.1: the caller authenticates as a confidential client of this workspace."""
    if not _oauthlib_core().authenticate_client(request):
        response = JsonResponse(
            {"error": "invalid_client", "error_description": "Client authentication failed."},
            status=401,
            headers=NO_STORE,
        )
        response["WWW-Authenticate"] = 'Basic realm="introspection"'
        return response
    context = current_context()
    token_value = request.POST.get("token", "")
    if not token_value:
        return JsonResponse(
            {"error": "invalid_request", "error_description": "The token parameter is required."},
            status=400,
            headers=NO_STORE,
        )
    body = introspect(
        workspace=context.workspace,
        issuer=context.issuer,
        token=token_value,
        hint=request.POST.get("token_type_hint"),
    )
    return JsonResponse(body, headers=NO_STORE)
