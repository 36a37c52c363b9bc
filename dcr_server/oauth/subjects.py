"""Subject identifiers (``sub``) per workspace (issue 14, finding 11; OpenID Connect Core §8).

A user's ``sub`` is never their database id: it is an HMAC-SHA256 of the user id under the
workspace's own secret (``Workspace.subject_salt``), so the same person has an unrelated ``sub``
in every workspace and relying parties of different tenants cannot correlate users, while it
stays stable within one workspace (OIDC Core §2: "never reassigned", locally unique).

``Workspace.subject_type = "pairwise"`` (OIDC Core §8.1) adds the client's sector to the HMAC:
the host of its ``sector_identifier_uri`` or, without one, of its redirect URI, so clients of
different sectors in one workspace also get different values for one user.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import urlsplit

from registration.models import Client
from tenants.models import Workspace


def sector_of(client: Client) -> str:
    """OIDC Core §8.1: the host of ``sector_identifier_uri``, else of the (first) redirect URI."""
    uri = str((client.metadata or {}).get("sector_identifier_uri") or "")
    if not uri:
        redirects = (client.redirect_uris or "").split()
        uri = redirects[0] if redirects else ""
    return (urlsplit(uri).hostname or "").lower() or f"client:{client.client_id}"


def subject_for(*, workspace: Workspace, user_pk: object, client: Client | None) -> str:
    """The ``sub`` of user ``user_pk`` in ``workspace`` (as seen by ``client`` when pairwise)."""
    if workspace.subject_type == "pairwise" and client is not None:
        message = f"pairwise\x00{sector_of(client)}\x00{user_pk}"
    else:
        message = f"public\x00{user_pk}"
    digest = hmac.new(workspace.subject_salt.encode(), message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
