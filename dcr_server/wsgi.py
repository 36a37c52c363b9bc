"""WSGI entry point (gunicorn dcr_server.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dcr_server.settings")

application = get_wsgi_application()
