"""Django settings. Every knob comes from the environment (see README "Configuration")."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from dcr_server.env import (
    env_bool,
    env_int,
    env_list,
    env_networks,
    env_str,
    local_encryption_key,
)

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
    "oauth2_provider",
    "tenants",
    "registration",
]

MIDDLEWARE = [
    "dcr_server.middleware.JSONErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Sessions, CSRF, authentication and messages on browser paths only (admin, login,
    # authorize); the API paths skip them (dcr_server/browser_only.py: Django's own classes).
    "dcr_server.browser_only.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "dcr_server.browser_only.CsrfViewMiddleware",
    "dcr_server.browser_only.AuthenticationMiddleware",
    "dcr_server.browser_only.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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

LOGIN_URL = "/accounts/login/"

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
DCR_POLICY_HOOK_MODULES = env_list("DCR_POLICY_HOOK_MODULES")
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
# RFC 9207 iss is added per workspace by dcr_server.oauth.backend (DOT's W005 switch would use one
# site-wide issuer).
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
    "OAUTH2_BACKEND_CLASS": "dcr_server.oauth.backend.WorkspaceOAuthLibCore",
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        # DOT logs client ids and failure reasons at debug; never secrets. Keep it quiet anyway.
        "oauth2_provider": {"level": "WARNING"},
        # oauthlib logs issued access and refresh tokens at DEBUG: never below INFO.
        "oauthlib": {"level": "INFO", "propagate": True},
        "django.request": {"level": "ERROR"},
    },
}
