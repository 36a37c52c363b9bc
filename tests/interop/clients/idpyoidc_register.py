"""idpyoidc against dcr-server: provider info discovery, registration, registration read.

    python idpyoidc_register.py ISSUER [--without-signing-alg]

With ``--without-signing-alg`` the RP's ``token_endpoint_auth_signing_alg`` preference (sent by
default, with client_secret_basic) is dropped before registering.

Prints one JSON summary line.
"""

from __future__ import annotations

import json
import sys
from importlib.metadata import version
from typing import Any

from idpyoidc.client.defaults import DEFAULT_OIDC_SERVICES
from idpyoidc.client.oauth2 import Client

ISSUER = sys.argv[1]
WITHOUT_SIGNING_ALG = "--without-signing-alg" in sys.argv[2:]
# A relying party's usual services (their supported grant types bound what it accepts from the
# registration response), plus RFC 7592 registration read.
SERVICES = {
    **DEFAULT_OIDC_SERVICES,
    "registration_read": {"class": "idpyoidc.client.oidc.read_registration.RegistrationRead"},
}
REDIRECT_URIS = ["https://rp.example.com/callback"]
CONFIG = {
    "issuer": ISSUER,
    "client_type": "oidc",
    "base_url": "https://rp.example.com",
    "preference": {
        "client_name": "idpyoidc interop",
        "application_type": "web",
        "response_types": ["code"],
        "grant_types": ["authorization_code"],
        "token_endpoint_auth_method": "client_secret_basic",
        "contacts": ["ops@example.com"],
    },
}


def drop_signing_alg(request: Any, **kwargs: Any) -> Any:
    if "token_endpoint_auth_signing_alg" in request:
        del request["token_endpoint_auth_signing_alg"]
    return request


def main() -> dict:
    client = Client(config=CONFIG, services=SERVICES, client_type="oidc")
    provider = client.do_request("provider_info")
    if "error" in provider:
        raise SystemExit(f"discovery failed: {provider.to_dict()}")

    if WITHOUT_SIGNING_ALG:
        registration = client.get_service("registration")
        registration.post_construct = [*registration.post_construct, drop_signing_alg]
    # Without an authorization service the RP derives no callback URIs: pass them explicitly.
    # idpyoidc compares the response's space-separated scope string as ONE value against its
    # scopes_supported list, so a multi-scope answer (the server's default scope is
    # "openid profile email") is refused client-side: ask for openid only.
    args = {"redirect_uris": REDIRECT_URIS, "scope": "openid"}
    request = client.get_service("registration").get_request_parameters(request_args=args)
    registered = client.do_request("registration", request_args=args)
    if "error" in registered:
        raise SystemExit(f"registration failed: {registered.to_dict()}; sent {request['body']}")
    read = client.do_request("registration_read")
    if "error" in read:
        raise SystemExit(f"registration read failed: {read.to_dict()}")
    context = client.get_context()
    return {
        "idpyoidc": version("idpyoidc"),
        "issuer": provider["issuer"],
        "registration_endpoint": provider["registration_endpoint"],
        "sent": json.loads(request["body"]) if isinstance(request.get("body"), str) else None,
        "sent_headers": request.get("headers", {}),
        "registered": registered.to_dict(),
        "read": read.to_dict(),
        "context_client_id": context.get_client_id(),
    }


if __name__ == "__main__":
    print(json.dumps(main()))
