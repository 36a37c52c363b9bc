"""Authlib's validators on dcr-server's discovery documents and registration responses.

    python authlib_validate.py ISSUER

- ``authlib.oauth2.rfc8414.AuthorizationServerMetadata`` and
  ``authlib.oidc.discovery.OpenIDProviderMetadata`` on all four discovery URLs. Authlib insists
  on https URLs, which a plain-HTTP loopback server cannot offer: every ``validate_<field>`` is
  run on the document as served and any error other than the https-scheme rule is reported, then
  the full ``validate()`` runs on a copy whose ``http://`` URLs read ``https://``.
- ``authlib.oauth2.rfc7591.ClientMetadataClaims`` and ``authlib.oidc.registration
  .ClientMetadataClaims`` (with ``get_claims_options`` from the server metadata) on registration
  and RFC 7592 read responses of a web, a native and a service client.

Prints one JSON summary line.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from importlib.metadata import version
from typing import Any

from authlib.oauth2.rfc7591 import ClientMetadataClaims
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata, get_well_known_url
from authlib.oidc.discovery import OpenIDProviderMetadata
from authlib.oidc.registration import ClientMetadataClaims as OIDCClientMetadataClaims

ISSUER = sys.argv[1]
CLIENTS = {
    "web": {"client_name": "authlib web", "redirect_uris": ["https://app.example.com/cb"],
            "grant_types": ["authorization_code", "refresh_token"], "contacts": ["ops@example.com"],
            "client_uri": "https://app.example.com", "scope": "openid profile"},
    "native": {"client_name": "authlib native", "application_type": "native",
               "token_endpoint_auth_method": "none", "redirect_uris": ["http://127.0.0.1:9/cb"]},
    "service": {"client_name": "authlib service", "grant_types": ["client_credentials"]},
}  # fmt: skip


def http(url: str, body: dict[str, Any] | None = None, token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.load(response)


def field_errors(metadata: Any) -> list[str]:
    """Every validate_<field> failure except authlib's https-only rule."""
    errors = []
    for name in sorted(dir(metadata)):
        if not name.startswith("validate_"):
            continue
        try:
            getattr(metadata, name)()
        except ValueError as exc:
            if "https" not in str(exc).lower():
                errors.append(f"{name}: {exc}")
    return errors


def as_https(document: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(document).replace('"http://', '"https://'))


def full_validate(cls: Any, document: dict[str, Any]) -> str | None:
    try:
        cls(as_https(document)).validate()
    except ValueError as exc:
        return str(exc)
    return None


def claims_errors(body: dict[str, Any], server: dict[str, Any]) -> dict[str, str | None]:
    result: dict[str, str | None] = {}
    for label, cls in (("rfc7591", ClientMetadataClaims), ("oidc", OIDCClientMetadataClaims)):
        try:
            cls(body, {}, options=cls.get_claims_options(server)).validate()
            result[label] = None
        except Exception as exc:  # joserfc's InvalidClaimError and ValueError alike
            result[label] = f"{type(exc).__name__}: {exc}"
    return result


def main() -> dict[str, Any]:
    urls = {
        "oidc_suffix": f"{ISSUER}/.well-known/openid-configuration",
        "oauth_suffix": f"{ISSUER}/.well-known/oauth-authorization-server",
        # RFC 8414 §3.1 path insertion, as authlib builds it.
        "oauth_inserted": get_well_known_url(ISSUER, external=True),
        "oidc_inserted": get_well_known_url(ISSUER, external=True, suffix="openid-configuration"),
    }
    discovery: dict[str, Any] = {}
    server: dict[str, Any] = {}
    for label, url in urls.items():
        status, document = http(url)
        server = document
        discovery[label] = {
            "url": url,
            "status": status,
            "issuer": document.get("issuer"),
            "rfc8414_field_errors": field_errors(AuthorizationServerMetadata(document)),
            "oidc_field_errors": field_errors(OpenIDProviderMetadata(document)),
            "rfc8414_validate": full_validate(AuthorizationServerMetadata, document),
            "oidc_validate": full_validate(OpenIDProviderMetadata, document),
        }

    registrations: dict[str, Any] = {}
    for label, metadata in CLIENTS.items():
        status, body = http(server["registration_endpoint"], metadata)
        read_status, read = http(
            body["registration_client_uri"], token=body["registration_access_token"]
        )
        registrations[label] = {
            "status": status,
            "read_status": read_status,
            "register": claims_errors(body, server),
            "read": claims_errors(read, server),
            "token_endpoint_auth_method": body.get("token_endpoint_auth_method"),
        }
    return {"authlib": version("authlib"), "discovery": discovery, "registrations": registrations}


if __name__ == "__main__":
    print(json.dumps(main()))
