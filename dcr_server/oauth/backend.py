"""DOT's OAuthLib backend with the workspace's issuer in authorization responses (RFC 9207).

DOT's own switch (COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS) derives one issuer for the whole
site; here every workspace is its own issuer, so the ``iss`` parameter is added from the
request's workspace instead.
"""

from __future__ import annotations

from typing import Any

from oauth2_provider.oauth2_backends import OAuthLibCore, _add_iss_to_redirect

from tenants.context import current_context


class WorkspaceOAuthLibCore(OAuthLibCore):
    def create_authorization_response(
        self, request: Any, scopes: Any, credentials: Any, allow: Any
    ) -> tuple[Any, dict[str, Any], Any, int]:
        uri, headers, body, status = super().create_authorization_response(
            request, scopes, credentials, allow
        )
        if uri is not None:
            # RFC 9207 §2: the authorization response carries iss = the issuer identifier.
            uri = _add_iss_to_redirect(uri, current_context().issuer)
            headers["Location"] = uri
        return uri, headers, body, status
