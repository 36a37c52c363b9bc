"""Per-workspace OAuth endpoints: DOT's views behind the workspace resolver, plus discovery,
JWKS and RFC 7662 introspection."""

from __future__ import annotations

from functools import lru_cache, wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST
from oauth2_provider.exceptions import FatalClientError
from oauth2_provider.oauth2_backends import OAuthLibCore, get_oauthlib_core
from oauth2_provider.signals import app_authorized
from oauth2_provider.views import AuthorizationView, RevokeTokenView, TokenView, UserInfoView
from oauthlib.oauth2.rfc6749.errors import InvalidClientIdError

from dcr_server.headers import NO_STORE
from dcr_server.oauth.discovery import discovery_document
from dcr_server.oauth.introspection import introspect
from dcr_server.oauth.sessions import require_workspace_login
from registration.models import Client
from tenants.context import current_context, current_workspace
from tenants.keys import public_jwks
from tenants.resolve import ViewFunc, workspace_view


class WorkspaceAuthorizationView(AuthorizationView):
    def form_valid(self, form: Any) -> HttpResponse:
        # DOT's form_valid loads the client with an unscoped .get(): an unknown client_id was a 500.
        client_id = form.cleaned_data.get("client_id")
        if not Client.objects.filter(workspace=current_workspace(), client_id=client_id).exists():
            # RFC 6749 §4.1.2.1: an invalid client_id is shown to the user, never redirected to.
            error = FatalClientError(error=InvalidClientIdError())
            response: HttpResponse = self.error_response(error, None)
            return response
        valid: HttpResponse = super().form_valid(form)
        return valid


class WorkspaceTokenView(TokenView):
    @method_decorator(sensitive_post_parameters("password", "client_secret"))
    def authorization_flow_token_response(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        # DOT reloads every issued access token (a query per token request) only to send
        # app_authorized; this project has no receiver, so reload only when one is connected.
        if app_authorized.has_listeners(self):
            response: HttpResponse = super().authorization_flow_token_response(request)
            return response
        _url, headers, body, status = self.create_token_response(request)
        response = HttpResponse(content=body, status=status)
        for name, value in headers.items():
            response[name] = value
        return response


def basic_challenge(view: ViewFunc) -> ViewFunc:
    """RFC 6749 §5.2: a 401 after HTTP Basic client authentication MUST challenge with Basic
    (oauthlib always answers ``WWW-Authenticate: Bearer``)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        scheme = request.META.get("HTTP_AUTHORIZATION", "").strip().partition(" ")[0]
        if response.status_code == 401 and scheme.lower() == "basic":
            response["WWW-Authenticate"] = 'Basic realm="oauth2", error="invalid_client"'
        return response

    return wrapper


token = basic_challenge(workspace_view(WorkspaceTokenView.as_view()))
# Issue 14: a login counts only at the workspaces it was made for (dcr_server/oauth/sessions.py).
authorize = workspace_view(require_workspace_login(WorkspaceAuthorizationView.as_view()))
revoke = basic_challenge(workspace_view(RevokeTokenView.as_view()))
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
