"""DOT scopes backend: a client may have exactly the scopes it was granted at registration."""

from __future__ import annotations

from typing import Any

from oauth2_provider.scopes import BaseScopes

SCOPE_DESCRIPTIONS = {
    "openid": "Sign you in",
    "profile": "Your basic profile",
    "email": "Your e-mail address",
    "address": "Your postal address",
    "phone": "Your phone number",
    "offline_access": "Access while you are away",
    "dcr_register": "Register OAuth clients",
}


class _Descriptions(dict[str, str]):
    def __missing__(self, scope: str) -> str:
        return scope


class WorkspaceScopes(BaseScopes):
    def get_all_scopes(self) -> dict[str, str]:
        return _Descriptions(SCOPE_DESCRIPTIONS)

    def get_available_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        return application.scope.split() if application is not None else []

    def get_default_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        # RFC 6749 §3.3: a request without scope gets the client's registered scopes.
        return self.get_available_scopes(application, request)
