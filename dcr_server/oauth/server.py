"""The oauthlib server DOT runs, with PKCE narrowed to S256 before the consent page is shown."""

from __future__ import annotations

from typing import Any

from oauthlib.oauth2.rfc6749.grant_types.authorization_code import code_challenge_method_s256
from oauthlib.openid import Server

# RFC 9700 §2.1.1: "plain" SHOULD NOT be used; a missing method means plain (RFC 7636 §4.3),
# so only an explicit S256 is accepted. oauthlib then answers invalid_request on the
# authorization request itself (RFC 7636 §4.4.1), instead of after the user consented.
S256_ONLY = {"S256": code_challenge_method_s256}


class WorkspaceServer(Server):
    def __init__(self, request_validator: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(request_validator, *args, **kwargs)
        self.auth_grant._code_challenge_methods = S256_ONLY
        self.openid_connect_auth.proxy_target._code_challenge_methods = S256_ONLY
