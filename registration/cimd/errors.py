"""Why a Client ID Metadata Document was not used.

Every refusal is ``invalid_client`` to the OAuth client (RFC 6749 §5.2; at the authorization
endpoint an error page, RFC 6749 §4.1.2.1); the rule and section go to the audit trail and logs.
"""

from __future__ import annotations


class CIMDRefused(Exception):
    """The client_id URL or its document is not acceptable.

    ``rule`` names the check (``cimd.client_id_url``, ``cimd.fetch``, ``cimd.document``, or the
    DCR policy key that refused); ``transient`` says whether the same document may be accepted
    later without changing (the host was unreachable, answered 5xx or 429), which lets a stale
    good copy keep serving (registration/cimd/service.py); ``back_off`` False: this server was
    busy, so the URL is not held against its host.
    """

    error = "invalid_client"

    def __init__(
        self, description: str, *, rule: str, transient: bool = False, back_off: bool = True
    ) -> None:
        super().__init__(description)
        self.description = description
        self.rule = rule
        self.transient = transient
        self.back_off = back_off
