"""Server-side fetches of remote documents (JWKS URIs, sector identifier documents), SSRF-safe.

RFC 7591 §5 warns that a server dereferencing client-supplied URLs can be turned against its own
network. Every fetch here therefore:

- accepts only http/https URLs without userinfo, and sends only GET;
- resolves the host once with ``socket.getaddrinfo`` and, unless private addresses are allowed,
  refuses the URL when ANY resolved address is special-use (RFC 6890 and successors);
- connects to the vetted address itself (pinned: no second DNS lookup, so DNS rebinding cannot
  swap in another address) while sending the original ``Host`` and, for https, verifying the
  certificate against the host name;
- follows redirects by hand, re-checking scheme and address on every hop;
- caps the body size and the total time (name resolution included), uses no proxy and no
  cookies, and never logs or echoes the response body.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import http.client
import ipaddress
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

USER_AGENT = "dcr-server"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CHUNK = 8192
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class FetchResult:
    body: bytes
    content_type: str  # media type only, lower-case, '' when absent
    max_age: int | None  # s-maxage wins over max-age; 0 for no-store/no-cache; None when absent


class FetchError(Exception):
    """A fetch failed or was refused. ``str(exc)`` is one safe line (never the response body).

    ``status`` is the HTTP status that refused it (None when no response came); ``transient``
    says whether trying again later may succeed (timeouts, connection failures, 408, 429, 5xx)
    rather than the document being unacceptable as served.
    """

    def __init__(self, message: str, *, status: int | None = None, transient: bool = False):
        super().__init__(message)
        self.status = status
        self.transient = transient


TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


# --- RFC 6890 special-use addresses ---------------------------------------------------------

# Listed explicitly (not only via ``is_global``) so the answer does not depend on the Python
# version's idea of "global".
_FORBIDDEN_V4 = tuple(
    ipaddress.IPv4Network(net)
    for net in (
        "0.0.0.0/8",  # "this network" (RFC 791)
        "10.0.0.0/8",  # private (RFC 1918)
        "100.64.0.0/10",  # shared address space / CGNAT (RFC 6598)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, incl. cloud metadata 169.254.169.254 (RFC 3927)
        "172.16.0.0/12",  # private (RFC 1918)
        "192.0.0.0/24",  # IETF protocol assignments (RFC 6890)
        "192.0.2.0/24",  # TEST-NET-1 (RFC 5737)
        "192.88.99.0/24",  # 6to4 relay anycast (deprecated, RFC 7526)
        "192.168.0.0/16",  # private (RFC 1918)
        "198.18.0.0/15",  # benchmarking (RFC 2544)
        "198.51.100.0/24",  # TEST-NET-2 (RFC 5737)
        "203.0.113.0/24",  # TEST-NET-3 (RFC 5737)
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved (RFC 1112), incl. broadcast 255.255.255.255
    )
)
_FORBIDDEN_V6 = tuple(
    ipaddress.IPv6Network(net)
    for net in (
        "::/96",  # unspecified, loopback, deprecated IPv4-compatible (RFC 4291 §2.5.5.1)
        "64:ff9b:1::/48",  # local-use NAT64 (RFC 8215)
        "100::/64",  # discard-only (RFC 6666)
        "2001::/23",  # IETF protocol assignments, incl. Teredo 2001::/32 (RFC 2928, 4380)
        "2001:db8::/32",  # documentation (RFC 3849)
        "3fff::/20",  # documentation (RFC 9637)
        "fc00::/7",  # unique local (RFC 4193)
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated, RFC 3879)
        "ff00::/8",  # multicast
    )
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # well-known NAT64 prefix (RFC 6052)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address forwards to: mapped, NAT64 or 6to4."""
    if address.ipv4_mapped is not None:  # ::ffff:a.b.c.d
        return address.ipv4_mapped
    if address in _NAT64:  # 64:ff9b::a.b.c.d
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:  # 2002:AABB:CCDD::/48
        return address.sixtofour
    return None


def is_forbidden_address(address: IPAddress) -> bool:
    """RFC 6890 / RFC 7591 §5: True for any address a fetch of a client URL must not reach."""
    if isinstance(address, ipaddress.IPv6Address):
        address = ipaddress.IPv6Address(int(address))  # drop any %scope
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            # Traffic to these IPv6 forms ends up at the embedded IPv4 address: judge that one.
            return is_forbidden_address(embedded)
        if any(address in net for net in _FORBIDDEN_V6):
            return True
    elif any(address in net for net in _FORBIDDEN_V4):
        return True
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


# --- URL checks -------------------------------------------------------------------------------

# A host whose last label is a number (``2130706433``, ``0177.0.0.1``, ``0x7f.1``) is an IPv4
# address to URL parsers and inet_aton alike; only the canonical dotted-quad form is accepted.
_NUMERIC_LABEL = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)", re.IGNORECASE)


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str  # lower-case, ASCII (IDNA), no brackets
    port: int
    path: str  # path and query, what goes on the request line


def _parse(url: str, schemes: frozenset[str]) -> _Target:
    if any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in url):
        raise FetchError("the URL contains whitespace or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchError("the URL is malformed") from exc
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        allowed = " or ".join(sorted(schemes))
        raise FetchError(f"the URL scheme must be {allowed}")
    if "@" in parts.netloc:
        raise FetchError("the URL must not contain user information")
    host = parts.hostname or ""
    if not host:
        raise FetchError("the URL has no host")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise FetchError("the URL host is not a valid host name") from exc
    if ":" not in host and _NUMERIC_LABEL.fullmatch(host.rstrip(".").rsplit(".", 1)[-1]):
        try:
            ipaddress.IPv4Address(host)
        except ValueError as exc:
            raise FetchError("the URL host is a non-canonical IPv4 address") from exc
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return _Target(scheme, host, port or _DEFAULT_PORTS[scheme], path)


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise FetchError("the fetch timed out", transient=True)
        return left


DEFAULT_RESOLVE_SECONDS = 3.0

# Name resolution has no timeout in the standard library (getaddrinfo blocks for as long as the
# system resolver likes: seconds per server and attempt). It runs on this small pool so that the
# fetch's one deadline covers it; a lookup still running at the deadline is abandoned to its
# thread (it cannot be interrupted) and the fetch fails as timed out. The pool is bounded: many
# hanging lookups make later fetches wait and time out (fail closed), never pile up threads.
RESOLVER_THREADS = 8
_resolver: concurrent.futures.ThreadPoolExecutor | None = None
_resolver_lock = threading.Lock()


def _resolver_pool() -> concurrent.futures.ThreadPoolExecutor:
    global _resolver
    with _resolver_lock:
        if _resolver is None:  # made on first use: in the worker process, after any fork
            _resolver = concurrent.futures.ThreadPoolExecutor(
                max_workers=RESOLVER_THREADS, thread_name_prefix="dcr-resolve"
            )
        return _resolver


def _getaddrinfo(target: _Target, deadline: _Deadline) -> list[Any]:
    def lookup() -> list[Any]:
        return socket.getaddrinfo(
            target.host, target.port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )

    future = _resolver_pool().submit(lookup)
    try:
        return future.result(timeout=deadline.remaining())
    except concurrent.futures.TimeoutError:
        future.cancel()
        raise FetchError("the fetch timed out (name resolution)", transient=True) from None


def _resolve(
    target: _Target, *, allow_private: bool, deadline: _Deadline | None = None
) -> list[tuple[int, tuple[object, ...]]]:
    """Resolve once, within ``deadline``; refuse when any address is forbidden. Returns
    (family, sockaddr) pairs."""
    try:
        infos = _getaddrinfo(target, deadline or _Deadline(DEFAULT_RESOLVE_SECONDS))
    except (OSError, UnicodeError) as exc:
        raise FetchError("the URL host could not be resolved", transient=True) from exc
    vetted: list[tuple[int, tuple[object, ...]]] = []
    for family, _type, _proto, _canon, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        try:
            address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        except ValueError as exc:
            raise FetchError("the URL host resolved to an unusable address") from exc
        # RFC 7591 §5: refuse if ANY address is special-use, not only the one we would pick.
        if not allow_private and is_forbidden_address(address):
            raise FetchError("the URL host resolves to a private or special-use address")
        vetted.append((family, tuple(sockaddr)))
    if not vetted:
        raise FetchError("the URL host could not be resolved")
    return vetted


# --- the connection -------------------------------------------------------------------------


class _PinnedConnection(http.client.HTTPConnection):
    """An HTTP(S) connection to an already vetted address; Host and SNI stay the URL's host."""

    def __init__(
        self, target: _Target, addresses: list[tuple[int, tuple[object, ...]]], deadline: _Deadline
    ) -> None:
        super().__init__(target.host, target.port, timeout=deadline.remaining())
        self.default_port = _DEFAULT_PORTS[target.scheme]  # Host header without a default port
        self._target = target
        self._addresses = addresses
        self._deadline = deadline
        self.raw: socket.socket | None = None
        self.timed_out = False

    def connect(self) -> None:
        last_error: OSError | None = None
        for family, sockaddr in self._addresses:  # every one of them vetted: no second lookup
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                sock.settimeout(self._deadline.remaining())
                sock.connect(sockaddr)
                if self._target.scheme == "https":
                    context = ssl.create_default_context()  # verifies the chain and host name
                    sock = context.wrap_socket(sock, server_hostname=self._target.host)
            except OSError as exc:  # includes ssl.SSLError and socket timeouts
                sock.close()
                last_error = exc
                continue
            self.sock = self.raw = sock
            return
        raise last_error or OSError("no address to connect to")

    def abort(self) -> None:
        """Called by the watchdog at the deadline: unblock whatever read is in progress."""
        self.timed_out = True
        if self.raw is not None:
            # The plain socket's shutdown, even under TLS: wakes a blocked reader at once.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(self.raw, socket.SHUT_RDWR)


def _cache_max_age(header: str) -> int | None:
    """RFC 9111 §5.2.2: s-maxage (shared caches, which we are) wins over max-age; no-store and
    no-cache mean "do not reuse" (0); anything unparseable counts as absent."""
    directives: dict[str, str | None] = {}
    for item in header.split(","):
        name, sep, raw = item.strip().partition("=")
        directives.setdefault(name.strip().lower(), raw.strip().strip('"') if sep else None)
    if "no-store" in directives or "no-cache" in directives:
        return 0
    for name in ("s-maxage", "max-age"):
        value = directives.get(name)
        if value is not None and value.isascii() and value.isdigit():
            return int(value)
    return None


def _read_body(response: http.client.HTTPResponse, max_bytes: int) -> bytes:
    # Refuse before reading when the server announces too much (any of several values).
    for header in response.headers.get_all("Content-Length") or []:
        for length in str(header).split(","):
            if length.strip().isdigit() and int(length) > max_bytes:
                raise FetchError(f"the response is larger than {max_bytes} bytes")
    chunks: list[bytes] = []
    total = 0
    while total <= max_bytes:  # read at most max_bytes + 1 bytes
        chunk = response.read1(min(_CHUNK, max_bytes + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    if total > max_bytes:
        raise FetchError(f"the response is larger than {max_bytes} bytes")
    return b"".join(chunks)


def _request(
    connection: _PinnedConnection, target: _Target, accept: str
) -> http.client.HTTPResponse:
    # GET only; no cookies, no Authorization, no proxy (http.client never reads HTTP_PROXY).
    connection.putrequest("GET", target.path, skip_accept_encoding=True)
    connection.putheader("Accept", accept)
    connection.putheader("User-Agent", USER_AGENT)
    connection.putheader("Connection", "close")
    connection.endheaders()
    return connection.getresponse()


def _fetch(
    url: str,
    *,
    allow_private: bool,
    schemes: frozenset[str],
    max_bytes: int,
    timeout: float,
    max_redirects: int,
    accept: str,
    only_200: bool = False,
    refuse_redirects: bool = False,
) -> FetchResult:
    # One deadline for the whole fetch, redirects and name resolution included. Socket timeouts
    # bound each operation; the watchdog bounds a server that trickles bytes just fast enough to
    # dodge them; resolution runs on the resolver pool, waited for until the deadline.
    deadline = _Deadline(timeout)
    current = url
    previous_scheme: str | None = None
    for _hop in range(max_redirects + 1):
        target = _parse(current, schemes)  # every hop: scheme, userinfo, host form
        if previous_scheme == "https" and target.scheme == "http":
            raise FetchError("a redirect from https to http is refused")
        # every hop: addresses, resolved within the deadline
        addresses = _resolve(target, allow_private=allow_private, deadline=deadline)
        connection = _PinnedConnection(target, addresses, deadline)
        watchdog = threading.Timer(deadline.remaining(), connection.abort)
        watchdog.daemon = True
        watchdog.start()
        try:
            response = _request(connection, target, accept)
            status = response.status
            if status in REDIRECT_STATUSES and refuse_redirects:
                raise FetchError(
                    f"the server answered HTTP {status}; redirects are not followed", status=status
                )
            if status in REDIRECT_STATUSES:
                location = response.getheader("Location")
                if not location:
                    raise FetchError(f"the server answered HTTP {status} without a Location")
                current = urljoin(current, location.strip()).split("#", 1)[0]
                previous_scheme = target.scheme
                continue
            if status != 200 if only_200 else not 200 <= status < 300:
                raise FetchError(
                    f"the server answered HTTP {status}",
                    status=status,
                    transient=status in TRANSIENT_STATUSES,
                )
            body = _read_body(response, max_bytes)
            if connection.timed_out:  # the watchdog cut the body short
                raise FetchError("the fetch timed out", transient=True)
            content_type = (response.getheader("Content-Type") or "").split(";", 1)[0]
            cache_control = ", ".join(response.headers.get_all("Cache-Control") or [])
            return FetchResult(
                body=body,
                content_type=content_type.strip().lower(),
                max_age=_cache_max_age(cache_control),
            )
        except (OSError, ValueError, http.client.HTTPException) as exc:
            if connection.timed_out or isinstance(exc, TimeoutError):
                raise FetchError("the fetch timed out", transient=True) from exc
            if isinstance(exc, ssl.SSLError):
                raise FetchError("the TLS connection failed") from exc
            raise FetchError(f"the fetch failed ({type(exc).__name__})", transient=True) from exc
        finally:
            watchdog.cancel()
            connection.close()
    raise FetchError(f"more than {max_redirects} redirects")


def fetch_url(
    url: str,
    *,
    allow_private: bool,
    max_bytes: int = 65536,
    timeout: float = 3.0,
    max_redirects: int = 3,
    accept: str = "application/json",
) -> FetchResult:
    """GET ``url`` (http or https) safely; raises ``FetchError``."""
    return _fetch(
        url,
        allow_private=allow_private,
        schemes=frozenset({"http", "https"}),
        max_bytes=max_bytes,
        timeout=timeout,
        max_redirects=max_redirects,
        accept=accept,
    )


def fetch_trusted_url(url: str, *, max_bytes: int = 65536, timeout: float = 3.0) -> FetchResult:
    """GET an administrator-configured URL: trusted as configured, so private addresses are
    allowed; http and https."""
    return fetch_url(url, allow_private=True, max_bytes=max_bytes, timeout=timeout)


def fetch_client_url(url: str, *, max_bytes: int = 65536, timeout: float = 3.0) -> FetchResult:
    """GET a client-supplied URL (RFC 7591 §5): https only and public addresses only, unless
    ``DCR_FETCH_ALLOW_PRIVATE_ADDRESSES`` is on (labs and tests), which also allows http."""
    allow_private = bool(settings.DCR_FETCH_ALLOW_PRIVATE_ADDRESSES)
    return _fetch(
        url,
        allow_private=allow_private,
        schemes=frozenset({"http", "https"}) if allow_private else frozenset({"https"}),
        max_bytes=max_bytes,
        timeout=timeout,
        max_redirects=3,
        accept="application/json",
    )


def fetch_client_document(url: str, *, max_bytes: int, timeout: float) -> FetchResult:
    """GET a Client ID Metadata Document (draft-ietf-oauth-client-id-metadata-document-01 §4):
    https only, redirects never followed, 200 the only success, special-use addresses refused
    (§6.5) unless ``DCR_FETCH_ALLOW_PRIVATE_ADDRESSES`` is on (labs and tests: loopback document
    hosts), the body capped (§6.6) and one deadline over resolution, connection and body."""
    return _fetch(
        url,
        allow_private=bool(settings.DCR_FETCH_ALLOW_PRIVATE_ADDRESSES),
        schemes=frozenset({"https"}),
        max_bytes=max_bytes,
        timeout=timeout,
        max_redirects=0,
        accept="application/json",
        only_200=True,
        refuse_redirects=True,
    )
