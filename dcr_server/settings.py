"""Django settings. Every knob comes from the environment (see README "Configuration")."""

from __future__ import annotations

import contextlib
import ipaddress
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE as CSP_NONCE
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
from django.core.exceptions import ImproperlyConfigured

from dcr_server import cors
from dcr_server.env import (
    env_bool,
    env_int,
    env_list,
    env_networks,
    env_str,
    local_encryption_key,
)
from operations.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)

_DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is required when DJANGO_DEBUG is not 1")
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "corsheaders",  # CORS for browser-based clients (dcr_server/cors.py)
    # Swagger UI's files for /api/docs/, served from this origin (no CDN).
    "drf_spectacular_sidecar",
    "oauth2_provider",
    # Login throttling on both sign-in forms (settings AXES_* below).
    "axes",
    "tenants",
    "registration",
    "operations",  # health, metrics, request ids, log formats (docs/operations.md)
]

MIDDLEWARE = [
    # Outermost: X-Request-ID, timing and the access log for everything below, and the probes
    # (/health/live, /health/ready, /metrics) answered before host checks and sessions.
    "operations.middleware.OperationsMiddleware",
    # Outermost: every response of the CORS paths, the JSON errors other middleware answers
    # with (401, 413, 415, 429, 503) included, carries the CORS headers browsers need to read it.
    "corsheaders.middleware.CorsMiddleware",
    "dcr_server.middleware.JSONErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response (settings below); before WhiteNoise so static
    # files carry it too (an SVG opened directly runs no script).
    "dcr_server.csp.CSPMiddleware",  # django-csp's, the plain header built once (dcr_server/csp.py)
    # Static files under gunicorn with DEBUG off: answered here, before sessions and the rest.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Sessions, CSRF, authentication and messages on browser paths only (admin, login,
    # authorize); the API paths skip them (dcr_server/browser_only.py: Django's own classes).
    "dcr_server.browser_only.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "dcr_server.browser_only.CsrfViewMiddleware",
    "dcr_server.browser_only.AuthenticationMiddleware",
    "dcr_server.browser_only.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Answers a locked-out sign-in with the 429 page; after authentication, before the last.
    "axes.middleware.AxesMiddleware",
    # Last, so its process_exception runs first: a database outage answers 503, not 500.
    "dcr_server.resilience.DatabaseUnavailableMiddleware",
]

# API paths have no trailing slash; never redirect (a POST cannot follow it).
APPEND_SLASH = False

ROOT_URLCONF = "dcr_server.urls"
WSGI_APPLICATION = "dcr_server.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_DEFAULT_DATABASE_URL = f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", _DEFAULT_DATABASE_URL), conn_max_age=60
    )
}
SQLITE_ENGINE = "dcr_server.sqlite_backend"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's SQLite backend, with writers queued on a file lock (dcr_server/sqlite_backend).
    DATABASES["default"]["ENGINE"] = SQLITE_ENGINE
    # Take the write lock when a transaction starts, so two concurrent writers queue instead of
    # failing with "database is locked" when a read transaction upgrades to a write.
    # WAL lets readers run beside the one writer; NORMAL sync is safe with WAL.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    (BASE_DIR / "var").mkdir(exist_ok=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

_REDIS_URL = env_str("REDIS_URL")
if _REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _REDIS_URL,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
# WhiteNoise serves the apps' static files (admin, Swagger UI) straight from the installed
# packages, so gunicorn serves them with no collectstatic step; files collected into
# STATIC_ROOT are served as well.
WHITENOISE_USE_FINDERS = True
with contextlib.suppress(OSError):  # WhiteNoise warns about a missing STATIC_ROOT at startup
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# Content-Security-Policy (django-csp 4): nothing from another origin, no inline script, no
# inline style without the page's nonce (`<style nonce="{{ request.csp_nonce }}">`; style=""
# attributes are refused). See docs/admin-security.md.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "script-src": [CSP_SELF, CSP_NONCE],
        "style-src": [CSP_SELF, CSP_NONCE],
        # Swagger UI and the admin draw some icons from data: URIs in their stylesheets.
        "img-src": [CSP_SELF, "data:"],
        "object-src": [CSP_NONE],
        "frame-ancestors": [CSP_NONE],
        "base-uri": [CSP_SELF],
        "form-action": [CSP_SELF],
    }
}

LOGIN_URL = "/accounts/login/"

# Login throttling (django-axes; registration/login_throttle.py, docs/admin-security.md). The
# axes backend refuses a locked-out user name + address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"  # shared by every app server
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]  # the pair, not either alone
AXES_FAILURE_LIMIT = env_int("DCR_LOGIN_FAILURE_LIMIT", 5)
_LOGIN_COOLOFF_MINUTES = env_int("DCR_LOGIN_COOLOFF_MINUTES", 15)
AXES_COOLOFF_TIME = timedelta(minutes=_LOGIN_COOLOFF_MINUTES)
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "registration.login_throttle.source_ip"
AXES_LOCKOUT_CALLABLE = "registration.login_throttle.locked_out"
AXES_DISABLE_ACCESS_LOG = True  # no login history table growing without bound
AXES_ENABLE_ADMIN = False  # unlock with `manage.py axes_reset_username`; no cross-tenant list
if AXES_FAILURE_LIMIT < 1 or _LOGIN_COOLOFF_MINUTES < 1:
    raise ImproperlyConfigured("DCR_LOGIN_FAILURE_LIMIT and DCR_LOGIN_COOLOFF_MINUTES must be >= 1")

# The registration endpoint's body cap (RFC 7591 has none; 64 KiB is ample for metadata).
DCR_MAX_BODY_BYTES = env_int("DCR_MAX_BODY_BYTES", 64 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = max(DCR_MAX_BODY_BYTES, 256 * 1024)

# Comma-separated; the first encrypts, all decrypt. Required when debug is off (issue 14: no
# silent fallback to a key derived from DJANGO_SECRET_KEY, no public development key); with debug
# on (make run) a random local key is generated once and kept in var/encryption.key.
DCR_ENCRYPTION_KEYS = env_list("DCR_ENCRYPTION_KEYS")
DCR_LOCAL_ENCRYPTION_KEY_FILE = BASE_DIR / "var" / "encryption.key"
if not DCR_ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DCR_ENCRYPTION_KEYS is required when DJANGO_DEBUG is not 1: client secrets and "
            "signing keys are encrypted with it (generate one: python -c "
            '"import secrets; print(secrets.token_urlsafe(32))")'
        )
    DCR_ENCRYPTION_KEYS = [local_encryption_key(DCR_LOCAL_ENCRYPTION_KEY_FILE)]
DCR_FETCH_ALLOW_PRIVATE_ADDRESSES = env_bool("DCR_FETCH_ALLOW_PRIVATE_ADDRESSES", False)
# Scheme and host of every absolute URL (issuer, endpoints); unset: taken from the request.
DCR_PUBLIC_BASE_URL = env_str("DCR_PUBLIC_BASE_URL")
# RFC 7592 §5: failed registration-access-token attempts allowed per source IP per minute.
DCR_MANAGEMENT_FAILURES_PER_MINUTE = env_int("DCR_MANAGEMENT_FAILURES_PER_MINUTE", 30)
# Abuse defaults (issue 14): registrations per minute when the policy sets no rate_limit, per
# source address (an IPv6 /64) and per workspace; 0 turns either off.
DCR_DEFAULT_REGISTRATIONS_PER_MINUTE_PER_IP = env_int(
    "DCR_DEFAULT_REGISTRATIONS_PER_MINUTE_PER_IP", 60
)
DCR_DEFAULT_REGISTRATIONS_PER_MINUTE = env_int("DCR_DEFAULT_REGISTRATIONS_PER_MINUTE", 600)
# Issue 14: module prefixes a policy's "hook" may name (comma-separated); empty: no hooks.
# Default: the project's own reviewed example hooks (docs/policy.md), nothing else.
DCR_POLICY_HOOK_MODULES = env_list("DCR_POLICY_HOOK_MODULES", ["registration.policy.examples"])
# Behind load balancers: how many proxies append to the client-address header (0: use the peer).
DCR_TRUSTED_PROXY_COUNT = env_int("DCR_TRUSTED_PROXY_COUNT", 0)
# Issue 14: X-Forwarded-For counts only from a peer inside these networks (comma-separated CIDRs).
DCR_TRUSTED_PROXY_NETWORKS = env_networks("DCR_TRUSTED_PROXY_NETWORKS")
if DCR_TRUSTED_PROXY_COUNT > 0 and not DCR_TRUSTED_PROXY_NETWORKS:
    raise ImproperlyConfigured(
        "DCR_TRUSTED_PROXY_NETWORKS is required when DCR_TRUSTED_PROXY_COUNT is above 0: "
        "the CIDRs of the proxies whose X-Forwarded-For is believed"
    )
DCR_CLIENT_IP_HEADER = env_str("DCR_CLIENT_IP_HEADER", "HTTP_X_FORWARDED_FOR")

# Client ID Metadata Documents (registration/cimd/, docs/cimd.md): the server's bounds on the
# documents it fetches (size, time) and on how long it keeps them (draft -01 §4.4).
DCR_CIMD_MAX_DOCUMENT_BYTES = env_int("DCR_CIMD_MAX_DOCUMENT_BYTES", 5 * 1024)
DCR_CIMD_FETCH_TIMEOUT_SECONDS = env_int("DCR_CIMD_FETCH_TIMEOUT_SECONDS", 3)
DCR_CIMD_MIN_CACHE_SECONDS = env_int("DCR_CIMD_MIN_CACHE_SECONDS", 300)
DCR_CIMD_MAX_CACHE_SECONDS = env_int("DCR_CIMD_MAX_CACHE_SECONDS", 86400)
DCR_CIMD_DEFAULT_CACHE_SECONDS = env_int("DCR_CIMD_DEFAULT_CACHE_SECONDS", 3600)
DCR_CIMD_FAILURE_BACKOFF_SECONDS = env_int("DCR_CIMD_FAILURE_BACKOFF_SECONDS", 60)
DCR_CIMD_STALE_IF_ERROR_SECONDS = env_int("DCR_CIMD_STALE_IF_ERROR_SECONDS", 3600)
DCR_CIMD_MAX_CONCURRENT_FETCHES = env_int("DCR_CIMD_MAX_CONCURRENT_FETCHES", 16)
# CORS (django-cors-headers) on discovery, JWKS, register, management, token and revoke; never
# with credentials. DCR_CORS_ALLOWED_ORIGINS: * (default) or comma-separated origins.
_CORS_ORIGINS = cors.parse_allowed_origins(env_str("DCR_CORS_ALLOWED_ORIGINS", "*"))
CORS_URLS_REGEX = cors.URLS_REGEX
CORS_ALLOW_ALL_ORIGINS = _CORS_ORIGINS is None
CORS_ALLOWED_ORIGINS = _CORS_ORIGINS or []
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]
# mcp-protocol-version: MCP clients send it on metadata requests (MCP authorization spec).
CORS_ALLOW_HEADERS = ["accept", "authorization", "content-type", "mcp-protocol-version"]
CORS_EXPOSE_HEADERS = ["WWW-Authenticate", "Retry-After", "Location"]

if env_bool("DJANGO_SECURE_PROXY_SSL", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# HTTPS hardening: on by default when debug is off; DJANGO_SECURE=0 for a plain-http lab.
if env_bool("DJANGO_SECURE", not DEBUG):
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
    # An authorization server's whole domain should be https-only; 0 where subdomains are not.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
    # Behind a TLS-terminating load balancer this needs DJANGO_SECURE_PROXY_SSL=1.
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# RFC 8252 §7.3: native apps register http loopback redirect URIs on purpose.
# RFC 9207 iss is added per workspace by the authorization view (dcr_server.oauth.views; DOT's
# W005 switch would use one site-wide issuer).
SILENCED_SYSTEM_CHECKS = ["oauth2_provider.W008", "oauth2_provider.W005"]
# security.W003 looks for the string "django.middleware.csrf.CsrfViewMiddleware" in MIDDLEWARE;
# CSRF protection is on through dcr_server.browser_only.CsrfViewMiddleware (Django's class, on
# browser paths; the API paths are CSRF-exempt views). tests/perf/test_browser_only.py proves it.
SILENCED_SYSTEM_CHECKS += ["security.W003"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["registration.api.parsers.StrictJSONParser"],
    "EXCEPTION_HANDLER": "registration.api.errors.exception_handler",
}

OAUTH2_PROVIDER_APPLICATION_MODEL = "registration.Client"
OAUTH2_PROVIDER = {
    "OAUTH2_VALIDATOR_CLASS": "dcr_server.oauth.validator.WorkspaceOAuth2Validator",
    "OIDC_SERVER_CLASS": "dcr_server.oauth.server.WorkspaceServer",
    "SCOPES_BACKEND_CLASS": "dcr_server.oauth.scopes.WorkspaceScopes",
    "OIDC_ENABLED": True,
    "PKCE_REQUIRED": True,
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "REFRESH_TOKEN_EXPIRE_SECONDS": 30 * 24 * 3600,
    "ID_TOKEN_EXPIRE_SECONDS": 3600,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"],
    "ALLOW_LOCALHOST_LOOPBACK": True,
    "REQUEST_APPROVAL_PROMPT": "auto",
    # RFC 9700 (OAuth 2.0 Security BCP): enforce rather than warn.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "DCR_ENABLED": False,
    "CIMD_ENABLED": False,
}

# -- operations (docs/operations.md) -------------------------------------------------------------
# Peers that may scrape GET /metrics (the connection's address, never X-Forwarded-For).
DCR_METRICS_ALLOWED_NETWORKS = env_list("DCR_METRICS_ALLOWED_NETWORKS", ["127.0.0.0/8", "::1/128"])
for _network in DCR_METRICS_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"DCR_METRICS_ALLOWED_NETWORKS: {_network!r} is not a network (CIDR)"
        ) from None
# Seconds each readiness check (database, cache) may take before /health/ready answers 503.
DCR_HEALTH_TIMEOUT = float(env_str("DCR_HEALTH_TIMEOUT", "2") or "2")
# One dcr.access log line per request (method, route, status, duration, request id).
DCR_ACCESS_LOG = env_bool("DCR_ACCESS_LOG", True)
# text (default) or json: one JSON object per line, with the request id (operations/logs.py).
LOGGING = logging_config(
    log_format=env_str("DCR_LOG_FORMAT", "text").strip().lower() or "text",
    level=env_str("DCR_LOG_LEVEL", "WARNING").strip().upper() or "WARNING",
)
