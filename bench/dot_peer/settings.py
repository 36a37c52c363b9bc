"""Settings of the django-oauth-toolkit DCR peer: what ``django-admin startproject`` gives, plus
DOT with its DCR endpoint open to anyone (as the DCR server's ``bench/open`` workspace is).

Environment: ``DATABASE_URL`` (a fresh database of its own), ``DJANGO_SECRET_KEY``,
``BENCH_DOT_HASHER`` (``default``: Django's PBKDF2; ``md5``: a cheap hasher for the secrets).
"""

from __future__ import annotations

import os

import dj_database_url

SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "oauth2_provider",
]
# startproject's stack.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "bench.dot_peer.urls"
# The same persistent connections as the DCR server (dcr_server/settings.py).
DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"

if os.environ.get("BENCH_DOT_HASHER", "default") == "md5":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

OAUTH2_PROVIDER = {
    "DCR_ENABLED": True,
    "DCR_REGISTRATION_PERMISSION_CLASSES": ("oauth2_provider.dcr.AllowAllDCRPermission",),
    "DCR_ROTATE_REGISTRATION_TOKEN_ON_UPDATE": True,
}
