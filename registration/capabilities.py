"""What this server offers: the single source for discovery and for metadata validation."""

from __future__ import annotations

from registration.jose.keysets import ALLOWED_ALGORITHMS
from registration.metadata import ServerCapabilities
from registration.models import DCRSettings
from tenants.models import Workspace

# The scope that lets a client register others; never granted by DCR, never advertised.
DCR_REGISTER_SCOPE = "dcr_register"

GRANT_TYPES_SUPPORTED = ("authorization_code", "refresh_token", "client_credentials")
RESPONSE_TYPES_SUPPORTED = ("code",)
RESPONSE_MODES_SUPPORTED = ("query",)
TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED = (
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
    "private_key_jwt",
    "none",
)
# RFC 7523 / OIDC Core §9 client assertions: RFC 8725 allow-listed asymmetric algorithms for
# private_key_jwt, HMAC only for client_secret_jwt; never "none".
TOKEN_ENDPOINT_AUTH_SIGNING_ALGS_SUPPORTED = (*ALLOWED_ALGORITHMS, "HS256", "HS384", "HS512")
CODE_CHALLENGE_METHODS_SUPPORTED = ("S256",)  # RFC 9700 §2.1.1: not "plain"
ID_TOKEN_SIGNING_ALGS_SUPPORTED = ("RS256",)


def scopes_supported(workspace: Workspace) -> list[str]:
    return [scope for scope in workspace.scopes_supported if scope != DCR_REGISTER_SCOPE]


def capabilities_for(
    workspace: Workspace, settings: DCRSettings, *, reject_unsupported_scopes: bool = False
) -> ServerCapabilities:
    offered = scopes_supported(workspace)
    return ServerCapabilities(
        scopes_supported=frozenset(offered),
        default_scopes=tuple(scope for scope in settings.default_scopes if scope in offered),
        grant_types_supported=frozenset(GRANT_TYPES_SUPPORTED),
        response_types_supported=frozenset(RESPONSE_TYPES_SUPPORTED),
        token_endpoint_auth_methods_supported=frozenset(TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED),
        token_endpoint_auth_signing_algs_supported=frozenset(
            TOKEN_ENDPOINT_AUTH_SIGNING_ALGS_SUPPORTED
        ),
        id_token_signing_algs_supported=frozenset(ID_TOKEN_SIGNING_ALGS_SUPPORTED),
        # CONTRACT: unsupported scopes are dropped unless the policy says to refuse.
        reject_unsupported_scopes=reject_unsupported_scopes,
    )
