"""RFC 8707 resource indicators: what a ``resource`` value may be (pure, no database)."""

from __future__ import annotations

from oauth2_provider.oauth2_validators import is_valid_resource_uri

MAX_RESOURCE_LENGTH = 2000
MAX_WORKSPACE_RESOURCES = 100


def resource_problem(uri: object) -> str | None:
    """Why ``uri`` is not an RFC 8707 resource indicator, or None when it is one.

    RFC 8707 §2: "Its value MUST be an absolute URI ... The URI MUST NOT include a fragment
    component." django-oauth-toolkit's rule is kept (a scheme and a host, no userinfo), so every
    check in the project agrees with DOT's own: audience checks compare scheme, host, port and
    path, which a URN does not have.
    """
    if not isinstance(uri, str) or not uri:
        return "must be a non-empty string"
    if len(uri) > MAX_RESOURCE_LENGTH:
        return f"must be at most {MAX_RESOURCE_LENGTH} characters"
    if not uri.isascii() or any(not ch.isprintable() or ch.isspace() for ch in uri):
        return "must be an ASCII URI without whitespace or control characters"
    if not is_valid_resource_uri(uri):
        return "must be an absolute URI with a scheme and host, without userinfo or fragment"
    return None
