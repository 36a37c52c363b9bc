"""Fetching documents: the SSRF-safe fetcher (registration/fetch.py), the cache lifetime the
response asks for within the server's bounds, and one fetch in flight per URL per process.

Not django-oauth-toolkit's ``SafeMetadataFetcher``: it is a second SSRF-safe HTTP client next to
the project's own (registration/fetch.py, which every JWKS and sector identifier fetch uses), and
it resolves names outside its deadline. One fetcher means one set of address rules to audit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from registration.fetch import FetchError, fetch_client_document

from . import app_settings
from .errors import CIMDRefused

T = TypeVar("T")


@dataclass(frozen=True)
class Fetched:
    body: bytes
    media_type: str
    cache_seconds: int  # how long the document may be used, within the server's bounds


def cache_lifetime(max_age: int | None) -> int:
    """draft -01 §4.4: respect HTTP caching (RFC 9111 §5.2.2: max-age, s-maxage; no-store and
    no-cache count as 0), within the server's own lower and upper bounds. A document is stored
    (it is the client's row), so even no-store keeps it for the lower bound before a re-fetch."""
    seconds = app_settings.default_cache_seconds() if max_age is None else max_age
    return max(app_settings.min_cache_seconds(), min(seconds, app_settings.max_cache_seconds()))


class _Flight(Generic[T]):
    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: T | None = None
        self.error: CIMDRefused | None = None

    def outcome(self) -> T:
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


class Coalescer(Generic[T]):
    """Calls with the same key while one is running wait for it and share its outcome.

    Per process (threads of one server process); processes do not coordinate here: each may
    make one call per key at a time (the stored row and the shared back-off bound the rest).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flights: dict[str, _Flight[T]] = {}

    def run(self, key: str, call: Callable[[], T], *, wait_seconds: float) -> T:
        with self._lock:
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
        if not leader:
            if not flight.done.wait(wait_seconds):
                raise CIMDRefused(
                    "the client metadata document is being fetched; retry",
                    rule="cimd.fetch",
                    transient=True,
                    back_off=False,
                )
            return flight.outcome()
        try:
            flight.result = call()
        except CIMDRefused as exc:
            flight.error = exc
        finally:
            with self._lock:
                self._flights.pop(key, None)
            flight.done.set()
        return flight.outcome()


_fetches: Coalescer[Fetched] = Coalescer()
_slots_lock = threading.Lock()
_slots_in_use = 0


def _take_slot() -> bool:
    """A fetch slot, without waiting: a flood of distinct URLs fails fast, never queues."""
    global _slots_in_use
    cap = app_settings.max_concurrent_fetches()
    with _slots_lock:
        if cap and _slots_in_use >= cap:
            return False
        _slots_in_use += 1
        return True


def _release_slot() -> None:
    global _slots_in_use
    with _slots_lock:
        _slots_in_use -= 1


def _fetch_once(url: str) -> Fetched:
    if not _take_slot():
        raise CIMDRefused(
            "too many client metadata documents are being fetched; retry",
            rule="cimd.fetch",
            transient=True,
            back_off=False,
        )
    try:
        result = fetch_client_document(
            url, max_bytes=app_settings.max_document_bytes(), timeout=app_settings.fetch_timeout()
        )
    except FetchError as exc:
        # §4 (200 only, no redirects), §6.5 (special-use addresses), §6.6 (size): fetch.py's
        # message names which; §4.3: a failed fetch aborts the request.
        raise CIMDRefused(
            f"fetching the client metadata document failed: {exc} "
            "(draft-ietf-oauth-client-id-metadata-document §4)",
            rule="cimd.fetch",
            transient=exc.transient,
        ) from None
    finally:
        _release_slot()
    return Fetched(
        body=result.body,
        media_type=result.content_type,
        cache_seconds=cache_lifetime(result.max_age),
    )


def fetch_document(url: str) -> Fetched:
    """One fetch of ``url`` in flight per process; concurrent callers share its outcome."""
    return _fetches.run(
        url, lambda: _fetch_once(url), wait_seconds=app_settings.fetch_timeout() + 2
    )
