"""pyoidc (``oic``) against dcr-server: provider configuration, registration, registration read.

    python pyoidc_register.py ISSUER

Prints one JSON summary line.
"""

from __future__ import annotations

import json
import sys
from importlib.metadata import version

from oic.oauth2.message import SchemeError
from oic.oic import Client
from oic.oic.message import ProviderConfigurationResponse, RegistrationResponse
from oic.utils.authn.client import CLIENT_AUTHN_METHOD

ISSUER = sys.argv[1]


def main() -> dict:
    client = Client(client_authn_method=CLIENT_AUTHN_METHOD)
    # OIDC Discovery §4: fetches {issuer}/.well-known/openid-configuration, checks issuer equality.
    provider = client.provider_config(ISSUER)
    assert isinstance(provider, ProviderConfigurationResponse)
    try:
        provider.verify()
        verify_error = None
    except SchemeError as exc:  # pyoidc's full verify() insists on an https issuer
        verify_error = f"SchemeError: {exc}"

    registered = client.register(
        provider["registration_endpoint"],
        client_name="pyoidc interop",
        redirect_uris=["https://rp.example.com/callback"],
        response_types=["code"],
        contacts=["ops@example.com"],
    )
    assert isinstance(registered, RegistrationResponse)
    first_token = client.registration_access_token

    # RFC 7592 §2.1: read with the registration access token; pyoidc keeps the rotated one.
    read = client.registration_read()
    second_token = client.registration_access_token
    read_again = client.registration_read()

    return {
        "oic": version("oic"),
        "issuer": provider["issuer"],
        "verify_error": verify_error,
        "registration_endpoint": provider["registration_endpoint"],
        "sent": json.loads(client.create_registration_request(
            client_name="pyoidc interop", redirect_uris=["https://rp.example.com/callback"],
            response_types=["code"], contacts=["ops@example.com"]).to_json()),
        "registered": registered.to_dict(),
        "read": read.to_dict(),
        "read_again_client_id": read_again["client_id"],
        "token_rotated": first_token != second_token,
    }  # fmt: skip


if __name__ == "__main__":
    print(json.dumps(main()))
