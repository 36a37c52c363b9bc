"""Settings of the benchmark server: production settings, plus the bench-only URLconf.

``python -m bench`` sets ``DATABASE_URL`` (a fresh SQLite file, or a fresh PostgreSQL database)
and a throwaway ``DJANGO_SECRET_KEY`` before gunicorn starts with these settings.
"""

from dcr_server.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# The benchmark speaks plain HTTP on loopback, standing for the TLS-terminating load balancer of
# production: no redirect to https (the other hardening headers stay, as in production).
SECURE_SSL_REDIRECT = False
