"""The oauthlib server DOT runs: PKCE narrowed to S256 before the consent page is shown, and the
RFC 8707 resource checks run while a request is validated."""

from __future__ import annotations

from typing import Any

from oauthlib.oauth2.rfc6749.grant_types.authorization_code import code_challenge_method_s256
from oauthlib.openid import Server

from dcr_server.oauth.resources import check_authorization_resources

# RFC 9700 §2.1.1: "plain" SHOULD NOT be used; a missing method means plain (RFC 7636 §4.3),
# so only an explicit S256 is accepted. oauthlib then answers invalid_request on the
# authorization request itself (RFC 7636 §4.4.1), instead of after the user consented.
S256_ONLY = {"S256": code_challenge_method_s256}


class WorkspaceServer(Server):
    def __init__(self, request_validator: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(request_validator, *args, **kwargs)
        self.auth_grant._code_challenge_methods = S256_ONLY
        self.openid_connect_auth.proxy_target._code_challenge_methods = S256_ONLY
        # RFC 8707 §2: resources are checked once the client and redirect URI are (so a refusal
        # redirects, with state) and, at token, before anything is written. The OpenID Connect
        # grants proxy to their own OAuth 2.0 grant objects: both sets get the checks.
        for grant in (self.auth_grant, self.openid_connect_auth.proxy_target):
            grant.custom_validators.post_auth.append(check_authorization_resources)
        token_grants = (
            self.auth_grant,
            self.openid_connect_auth.proxy_target,
            self.refresh_grant,
            self.credentials_grant,
        )
        check_token = request_validator.check_token_resources
        for validators in {
            id(g.custom_validators): g.custom_validators for g in token_grants
        }.values():
            validators.post_token.append(check_token)
