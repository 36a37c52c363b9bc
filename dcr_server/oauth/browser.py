"""Validator answers for requests a browser makes: ``prompt=none`` and cross-origin token calls."""

from __future__ import annotations

from typing import Any

from oauthlib.common import Request


class BrowserRequestsMixin:
    def validate_silent_login(self, request: Request) -> bool:
        """OpenID Connect Core §3.1.2.6 ``login_required`` for ``prompt=none``.

        The authorization view authenticates the user before oauthlib validates anything (an
        anonymous ``prompt=none`` request is answered ``login_required`` by DOT's
        ``handle_no_permission``), so every request validated here has a logged-in user.
        """
        return True

    def validate_silent_authorization(self, request: Request) -> bool:
        """OpenID Connect Core §3.1.2.6 ``consent_required`` for ``prompt=none``.

        Whether the user already approved this client is known only to the view (DOT's
        auto-approval: ``skip_authorization`` or an unexpired token covering the scopes), which
        answers ``consent_required`` wherever it would show the consent page
        (``dcr_server.oauth.views.WorkspaceAuthorizationView``).
        """
        return True

    def is_origin_allowed(
        self, client_id: str, origin: str, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        # oauthlib would add Access-Control-Allow-Origin itself from a client's allowed_origins;
        # CORS is answered in one place instead, django-cors-headers (DCR_CORS_ALLOWED_ORIGINS).
        return False
