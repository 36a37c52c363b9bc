"""django-csp's middleware, with the header of an ordinary response built once per process.

django-csp 4 builds both headers (the policy and the report-only policy) from the settings on
every response: two dataclass conversions and the string build, about a fifth of the
framework's floor on a JSON API call (``python -m bench.profile --operation trivial``). A
response that asked for nothing special (no ``@csp_update``/``@csp_replace``/``@csp_exempt`` and
friends) for a request that never drew a nonce (every API call: only the console's templates
use ``request.csp_nonce``) gets exactly the same header every time, so that header is computed
once per settings (recomputed when a test overrides them) and set as django-csp would set it.
Anything else goes through django-csp's own ``process_response`` unchanged.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as LibraryCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponseBase

# The response attributes django-csp's decorators set (csp/decorators.py, csp/middleware.py).
_PER_RESPONSE = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_exempt",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
    "_csp_exempt_ro",
)
_POLICIES = (
    (HEADER, "CONTENT_SECURITY_POLICY", False),
    (HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY", True),
)
# report_only -> (the header built from the settings alone, the path prefixes it skips)
_built: dict[bool, tuple[str, tuple[str, ...]]] = {}


def _header(setting: str, report_only: bool) -> tuple[str, tuple[str, ...]]:
    built = _built.get(report_only)
    if built is None:
        excluded = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
        built = _built[report_only] = (build_policy(report_only=report_only), tuple(excluded))
    return built


def _forget(*, setting: str, **_: Any) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _built.clear()


setting_changed.connect(_forget)


class CSPMiddleware(LibraryCSPMiddleware):
    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        nonce_drawn = getattr(request, "_csp_nonce", None) is not None
        if nonce_drawn or any(hasattr(response, name) for name in _PER_RESPONSE):
            return super().process_response(request, response)
        debug_page = response.status_code in (
            HTTPStatus.INTERNAL_SERVER_ERROR,
            HTTPStatus.NOT_FOUND,
        )
        if debug_page and settings.DEBUG:
            return response  # django-csp leaves Django's debug pages alone
        for header, setting, report_only in _POLICIES:
            value, excluded = _header(setting, report_only)
            if value and header not in response and not request.path_info.startswith(excluded):
                response[header] = value
        # As django-csp does: a nonce drawn after the header was written would not be in it.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response
