"""OAuth Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document), per workspace.

A ``client_id`` that is an ``https`` URL names a JSON document of the client's metadata; while
the workspace's switch is on, the server fetches it wherever a client_id is accepted (the DOT
validator's client lookup, dcr_server/oauth/validator.py, is the one hook) and keeps it as a
stored client row. docs/cimd.md describes the behaviour; the modules:

- ``url``: the client identifier URL rules (§3), pure;
- ``document``: the document's rules (§4.1) and the tolerances for real clients, pure;
- ``fetching``: the SSRF-safe fetch, cache lifetimes, one fetch in flight per URL;
- ``service``: the stored row, the back-off, the audit trail.
"""

from __future__ import annotations

from .errors import CIMDRefused
from .service import resolve_cimd_client
from .url import is_cimd_client_id

__all__ = ["CIMDRefused", "is_cimd_client_id", "resolve_cimd_client"]
