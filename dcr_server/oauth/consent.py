"""What the consent page tells the user about a client, beyond the name the client chose.

``client_name`` is self-asserted by any client that registers itself, so the page also shows
facts the client cannot choose (RFC 9700 §4.11 / RFC 7591 §5 "Security Considerations": the
authorization server should show the user where the response goes and how the client is known):

- where the authorization response is sent: the redirect URI's host (or its private-use scheme);
- how the client came to be known, from ``registration_source`` (and, for a Client ID Metadata
  Document, the host of the client_id URL that serves it).

Each source is one entry in :data:`ORIGINS`; an unknown source is shown as unverified.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from registration.models import Client


@dataclass(frozen=True)
class ClientOrigin:
    label: str
    """One line: how this server knows the client."""
    detail: str
    """What that means for the user."""
    host: str = ""
    """The host that vouches for the client (a CIMD document's host), if any."""
    verified: bool = False
    """True when someone accountable to this server (an administrator) created the client."""


@dataclass(frozen=True)
class RedirectTarget:
    host: str
    """``app.example.com``, ``127.0.0.1:33418``, or a private-use scheme such as ``com.example.app:``."""
    kind: str
    """``web``, ``loopback`` (an app on this device) or ``app`` (a private-use scheme)."""


@dataclass(frozen=True)
class ConsentFacts:
    client_name: str
    client_id: str
    origin: ClientOrigin
    redirect: RedirectTarget
    resources: tuple[str, ...] = ()
    """The RFC 8707 resources the token will be for (empty: not restricted)."""


def _self_registered(client: Client) -> ClientOrigin:
    return ClientOrigin(
        label="Registered itself (dynamic client registration)",
        detail="Any application can register itself this way.",
    )


def _administrator(client: Client) -> ClientOrigin:
    return ClientOrigin(
        label="Added by an administrator of this service",
        detail="An administrator created this application.",
        verified=True,
    )


def _metadata_document(client: Client) -> ClientOrigin:
    # draft-ietf-oauth-client-id-metadata-document: the client_id is the URL of its document,
    # so the document's host is the one party that vouches for the name.
    host = (urlsplit(client.client_id).hostname or "").lower()
    return ClientOrigin(
        label="Described by a metadata document",
        detail="The name comes from a document the application publishes at its own web address.",
        host=host,
    )


def _unknown(client: Client) -> ClientOrigin:
    return ClientOrigin(label="Unverified application", detail="Nobody has checked this name.")


ORIGINS: dict[str, Callable[[Client], ClientOrigin]] = {
    Client.RegistrationSource.DCR: _self_registered,
    Client.RegistrationSource.MANUAL: _administrator,
    Client.RegistrationSource.CIMD: _metadata_document,
}


def redirect_target(redirect_uri: str) -> RedirectTarget:
    parts = urlsplit(redirect_uri)
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        # RFC 8252 §7.1: a private-use URI scheme names an app on the device.
        return RedirectTarget(host=f"{scheme}:", kind="app")
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    shown = f"[{host}]" if ":" in host else host
    if port is not None:
        shown = f"{shown}:{port}"
    if host == "localhost" or _is_loopback(host):
        # RFC 8252 §7.3: a loopback redirect goes to an app on the user's own device.
        return RedirectTarget(host=shown, kind="loopback")
    return RedirectTarget(host=shown, kind="web")


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def consent_facts(client: Client, redirect_uri: str, resources: str = "") -> ConsentFacts:
    describe = ORIGINS.get(client.registration_source, _unknown)
    return ConsentFacts(
        client_name=client.name or client.client_id,
        client_id=client.client_id,
        origin=describe(client),
        redirect=redirect_target(redirect_uri),
        resources=tuple(resources.split()),
    )
