"""The authorization server metadata document (RFC 8414 §2, OpenID Connect Discovery 1.0 §3)."""

from __future__ import annotations

from typing import Any

from registration import capabilities as caps
from registration.selectors import dcr_settings_for
from tenants.models import Workspace
from tenants.resolve import HostAware, issuer

CLAIMS_SUPPORTED = ("sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash")


def discovery_document(request: HostAware, workspace: Workspace) -> dict[str, Any]:
    base = issuer(request, workspace)
    client_auth = list(caps.TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED)
    confidential_auth = [method for method in client_auth if method != "none"]
    signing_algs = list(caps.TOKEN_ENDPOINT_AUTH_SIGNING_ALGS_SUPPORTED)
    document: dict[str, Any] = {
        # RFC 8414 §2 / OIDC Discovery §3: REQUIRED members.
        "issuer": base,
        "authorization_endpoint": f"{base}/oauth2/authorize",
        "token_endpoint": f"{base}/oauth2/token",
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "response_types_supported": list(caps.RESPONSE_TYPES_SUPPORTED),
        # OIDC Discovery §3: the subject type this workspace issues (public, or pairwise per
        # sector as a workspace option, OIDC Core §8): the one it actually uses.
        "subject_types_supported": [workspace.subject_type],
        "id_token_signing_alg_values_supported": list(caps.ID_TOKEN_SIGNING_ALGS_SUPPORTED),
        # RECOMMENDED / OPTIONAL members.
        "userinfo_endpoint": f"{base}/oauth2/userinfo",
        "scopes_supported": caps.scopes_supported(workspace),
        "response_modes_supported": list(caps.RESPONSE_MODES_SUPPORTED),
        "grant_types_supported": list(caps.GRANT_TYPES_SUPPORTED),
        "token_endpoint_auth_methods_supported": client_auth,
        "token_endpoint_auth_signing_alg_values_supported": signing_algs,
        "revocation_endpoint": f"{base}/oauth2/revoke",
        "revocation_endpoint_auth_methods_supported": client_auth,
        "revocation_endpoint_auth_signing_alg_values_supported": signing_algs,
        "introspection_endpoint": f"{base}/oauth2/introspect",
        "introspection_endpoint_auth_methods_supported": confidential_auth,
        "introspection_endpoint_auth_signing_alg_values_supported": signing_algs,
        "code_challenge_methods_supported": list(caps.CODE_CHALLENGE_METHODS_SUPPORTED),
        # RFC 9207 §3: authorization responses carry iss.
        "authorization_response_iss_parameter_supported": True,
        "claims_supported": list(CLAIMS_SUPPORTED),
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
    }
    dcr = dcr_settings_for(workspace=workspace)
    # CONTRACT: registration_endpoint only while DCR is enabled (RFC 8414 §2: OPTIONAL).
    if dcr.enabled:
        document["registration_endpoint"] = f"{base}/oauth2/register"
    # draft-ietf-oauth-client-id-metadata-document-01 §5: signals that a client_id may be the
    # URL of a Client ID Metadata Document (CONTRACT: only while CIMD is on).
    if dcr.cimd_enabled:
        document["client_id_metadata_document_supported"] = True
    # RFC 9728 §4: the protected resources this server issues tokens for (RFC 8707 resource
    # values), while the workspace lists them; RFC 8707 itself defines no metadata.
    if workspace.resource_indicators:
        document["protected_resources"] = list(workspace.resource_indicators)
    return document
