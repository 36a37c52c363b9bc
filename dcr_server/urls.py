"""Root URLs. ``{ws}`` is ``<tenant>/<workspace>/``; the issuer of a workspace is ``{base}/{ws}``."""

from django.contrib.auth import views as auth_views
from django.urls import path

from dcr_server.oauth import views as oauth
from dcr_server.oauth.sessions import WorkspaceLoginView
from registration.admin.site import console
from registration.api import openapi
from registration.api.views import ClientConfigurationView, ClientRegistrationView
from tenants.resolve import workspace_view

WS = "<slug:tenant>/<slug:workspace>/"

urlpatterns = [
    # The tenant-scoped console (registration/admin/site.py), not the stock admin.site.
    path("admin/", console.urls),
    path("api/schema/", openapi.schema, name="openapi-schema"),
    path("api/docs/", openapi.docs, name="openapi-docs"),
    # Issue 14: the login binds itself to the workspace of its ``next`` (oauth/sessions.py).
    path("accounts/login/", WorkspaceLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # RFC 8414 §3.1 path-insertion forms.
    path(".well-known/oauth-authorization-server/<slug:tenant>/<slug:workspace>", oauth.discovery),
    path(".well-known/openid-configuration/<slug:tenant>/<slug:workspace>", oauth.discovery),
    path(WS + ".well-known/openid-configuration", oauth.discovery, name="discovery"),
    path(WS + ".well-known/oauth-authorization-server", oauth.discovery),
    path(WS + ".well-known/jwks.json", oauth.jwks, name="jwks"),
    path(WS + "oauth2/register", workspace_view(ClientRegistrationView.as_view()), name="register"),
    path(
        WS + "oauth2/register/<str:client_id>",
        workspace_view(ClientConfigurationView.as_view()),
        name="client-configuration",
    ),
    path(WS + "oauth2/token", oauth.token, name="token"),
    path(WS + "oauth2/authorize", oauth.authorize, name="authorize"),
    path(WS + "oauth2/revoke", oauth.revoke, name="revoke"),
    path(WS + "oauth2/introspect", oauth.introspection, name="introspect"),
    path(WS + "oauth2/userinfo", oauth.userinfo, name="userinfo"),
]

# A database outage raised inside a middleware answers 503 JSON like one raised in a view.
handler500 = "dcr_server.resilience.server_error"
